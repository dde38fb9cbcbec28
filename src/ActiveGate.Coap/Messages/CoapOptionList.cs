using System.Collections;

namespace ActiveGate.Coap.Messages;

/// <summary>
/// The options of a message, kept sorted by number; options with the same number keep their
/// insertion order (which is significant for Uri-Path, Uri-Query, Location-*; RFC 7252 §5.4.5).
/// </summary>
public sealed class CoapOptionList : IReadOnlyList<CoapOption>
{
    private readonly List<CoapOption> _options = [];

    /// <inheritdoc/>
    public int Count => _options.Count;

    /// <inheritdoc/>
    public CoapOption this[int index] => _options[index];

    /// <summary>Adds an option after any options with the same or lower number.</summary>
    public void Add(CoapOption option)
    {
        int index = _options.Count;
        while (index > 0 && _options[index - 1].Number > option.Number)
        {
            index--;
        }

        _options.Insert(index, option);
    }

    /// <summary>Adds a uint option.</summary>
    public void Add(CoapOptionNumber number, uint value) => Add(CoapOption.FromUInt(number, value));

    /// <summary>Adds a string option.</summary>
    public void Add(CoapOptionNumber number, string value) => Add(CoapOption.FromString(number, value));

    /// <summary>Replaces every option with this number by one option.</summary>
    public void Set(CoapOption option)
    {
        RemoveAll(option.Number);
        Add(option);
    }

    /// <summary>Replaces every option with this number by one uint option.</summary>
    public void Set(CoapOptionNumber number, uint value) => Set(CoapOption.FromUInt(number, value));

    /// <summary>Removes every option with this number; returns how many were removed.</summary>
    public int RemoveAll(CoapOptionNumber number)
    {
        int removed = 0;
        for (int i = _options.Count - 1; i >= 0; i--)
        {
            if (_options[i].Number == number)
            {
                _options.RemoveAt(i);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Removes every option.</summary>
    public void Clear() => _options.Clear();

    /// <summary>True when at least one option has this number.</summary>
    public bool Contains(CoapOptionNumber number) => IndexOf(number) >= 0;

    /// <summary>The first option with this number.</summary>
    public bool TryGet(CoapOptionNumber number, out CoapOption option)
    {
        int index = IndexOf(number);
        option = index >= 0 ? _options[index] : default;
        return index >= 0;
    }

    /// <summary>The value of the first option with this number as a uint, or null.</summary>
    public uint? GetUInt(CoapOptionNumber number) => TryGet(number, out CoapOption o) ? o.GetUInt() : null;

    /// <summary>The value of the first option with this number as a string, or null.</summary>
    public string? GetString(CoapOptionNumber number) => TryGet(number, out CoapOption o) ? o.GetString() : null;

    /// <summary>Every option with this number, in order.</summary>
    public IEnumerable<CoapOption> GetAll(CoapOptionNumber number)
    {
        foreach (CoapOption option in _options)
        {
            if (option.Number == number)
            {
                yield return option;
            }
        }
    }

    /// <summary>The string values of every option with this number, in order.</summary>
    public List<string> GetStrings(CoapOptionNumber number)
    {
        var values = new List<string>();
        foreach (CoapOption option in _options)
        {
            if (option.Number == number)
            {
                values.Add(option.GetString());
            }
        }

        return values;
    }

    private int IndexOf(CoapOptionNumber number)
    {
        for (int i = 0; i < _options.Count; i++)
        {
            if (_options[i].Number == number)
            {
                return i;
            }

            if (_options[i].Number > number)
            {
                break;
            }
        }

        return -1;
    }

    /// <summary>Struct enumerator (no allocation in foreach).</summary>
    public List<CoapOption>.Enumerator GetEnumerator() => _options.GetEnumerator();

    IEnumerator<CoapOption> IEnumerable<CoapOption>.GetEnumerator() => _options.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _options.GetEnumerator();
}
