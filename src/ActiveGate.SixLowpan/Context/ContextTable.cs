using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Context;

/// <summary>
/// The 6LoWPAN context table (RFC 6282 §3.1.2, RFC 6775 §7.2): up to 16 prefixes addressed by a
/// 4-bit context id (CID). An instance per interface, with its own clock; no global state.
/// </summary>
/// <remarks>
/// Contiki preloads context 0 with its compiled default prefix and never distributes others, so the
/// mesh prefix must be context 0 (<c>fd00::/64</c> for Contiki-NG, <c>aaaa::/64</c> for Contiki 3.0).
/// Reads are lock-free (an immutable snapshot), so the hot path does not contend with updates.
/// </remarks>
public sealed class ContextTable
{
    /// <summary>Number of context ids (4 bits).</summary>
    public const int Capacity = 16;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _updateLock = new();
    private volatile Entry?[] _entries = new Entry?[Capacity];

    /// <summary>Creates an empty table.</summary>
    public ContextTable(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A table with context 0 set to <paramref name="meshPrefix"/> (no lifetime).</summary>
    public static ContextTable WithContext0(Ipv6Prefix meshPrefix, TimeProvider? timeProvider = null)
    {
        var table = new ContextTable(timeProvider);
        table.Set(0, meshPrefix);
        return table;
    }

    /// <summary>
    /// Sets context <paramref name="contextId"/>. With <paramref name="lifetime"/> the entry expires
    /// (then it is used neither for compression nor decompression).
    /// </summary>
    /// <param name="useForCompression">False keeps the context for decompression only (RFC 6775 "C" flag clear).</param>
    public void Set(int contextId, Ipv6Prefix prefix, TimeSpan? lifetime = null, bool useForCompression = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contextId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(contextId, Capacity);
        long expires = lifetime is { } l ? (_timeProvider.GetUtcNow() + l).UtcTicks : long.MaxValue;
        Update(contextId, new Entry(prefix, useForCompression, expires));
    }

    /// <summary>Removes a context.</summary>
    public void Remove(int contextId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contextId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(contextId, Capacity);
        Update(contextId, null);
    }

    /// <summary>The prefix for a CID, for decompression.</summary>
    public bool TryGet(int contextId, out Ipv6Prefix prefix)
    {
        prefix = default;
        if ((uint)contextId >= Capacity)
        {
            return false;
        }

        Entry? entry = _entries[contextId];
        if (entry is null || (entry.ExpiresTicks != long.MaxValue && entry.ExpiresTicks <= _timeProvider.GetUtcNow().UtcTicks))
        {
            return false;
        }

        prefix = entry.Prefix;
        return true;
    }

    /// <summary>
    /// The compression context with the longest prefix containing <paramref name="address"/>.
    /// </summary>
    public bool TryFindForCompression(Ipv6Address address, out int contextId, out Ipv6Prefix prefix)
    {
        contextId = -1;
        prefix = default;
        Entry?[] entries = _entries;
        long now = -1;
        for (int i = 0; i < entries.Length; i++)
        {
            Entry? entry = entries[i];
            if (entry is null || !entry.UseForCompression || !entry.Prefix.Contains(address))
            {
                continue;
            }

            if (entry.ExpiresTicks != long.MaxValue)
            {
                if (now < 0)
                {
                    now = _timeProvider.GetUtcNow().UtcTicks;
                }

                if (entry.ExpiresTicks <= now)
                {
                    continue;
                }
            }

            if (contextId < 0 || entry.Prefix.Length > prefix.Length)
            {
                contextId = i;
                prefix = entry.Prefix;
            }
        }

        return contextId >= 0;
    }

    private void Update(int contextId, Entry? entry)
    {
        lock (_updateLock)
        {
            var copy = (Entry?[])_entries.Clone();
            copy[contextId] = entry;
            _entries = copy;
        }
    }

    private sealed record Entry(Ipv6Prefix Prefix, bool UseForCompression, long ExpiresTicks);
}
