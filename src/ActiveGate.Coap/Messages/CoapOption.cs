using System.Buffers.Binary;
using System.Text;

namespace ActiveGate.Coap.Messages;

/// <summary>One option instance: its number and its raw value bytes.</summary>
public readonly struct CoapOption : IEquatable<CoapOption>
{
    /// <summary>Creates an option from raw value bytes.</summary>
    public CoapOption(CoapOptionNumber number, ReadOnlyMemory<byte> value)
    {
        Number = number;
        Value = value;
    }

    /// <summary>The option number.</summary>
    public CoapOptionNumber Number { get; }

    /// <summary>The raw value (uint options are big-endian with leading zeros removed).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    // Shared one-byte values: options such as Content-Format 0/40/50, Observe or small block
    // numbers are created on every message, and their values are never mutated.
    private static readonly byte[][] s_smallValues = Enumerable.Range(0, 256).Select(i => new[] { (byte)i }).ToArray();

    /// <summary>Creates a uint option in its shortest form (RFC 7252 §3.2: 0 is the empty value).</summary>
    public static CoapOption FromUInt(CoapOptionNumber number, uint value)
    {
        if (value < 256)
        {
            return new CoapOption(number, value == 0 ? ReadOnlyMemory<byte>.Empty : s_smallValues[value]);
        }

        Span<byte> scratch = stackalloc byte[4];
        int length = WriteUInt(value, scratch);
        return new CoapOption(number, scratch[..length].ToArray());
    }

    /// <summary>Creates a string option (UTF-8).</summary>
    public static CoapOption FromString(CoapOptionNumber number, string value) =>
        new(number, Encoding.UTF8.GetBytes(value));

    /// <summary>Creates an empty option (e.g. If-None-Match).</summary>
    public static CoapOption FromEmpty(CoapOptionNumber number) => new(number, ReadOnlyMemory<byte>.Empty);

    /// <summary>The value as an unsigned integer (values longer than 4 bytes keep the low 32 bits).</summary>
    public uint GetUInt() => ReadUInt(Value.Span);

    /// <summary>The value as UTF-8 text.</summary>
    public string GetString() => Encoding.UTF8.GetString(Value.Span);

    /// <summary>Reads a big-endian unsigned integer of 0–4 bytes (longer values keep the low 32 bits).</summary>
    public static uint ReadUInt(ReadOnlySpan<byte> value)
    {
        uint result = 0;
        foreach (byte b in value)
        {
            result = (result << 8) | b;
        }

        return result;
    }

    /// <summary>Writes the shortest big-endian form of <paramref name="value"/>; returns the length (0–4).</summary>
    public static int WriteUInt(uint value, Span<byte> destination)
    {
        int length = value == 0 ? 0 : value < 0x100 ? 1 : value < 0x1_0000 ? 2 : value < 0x100_0000 ? 3 : 4;
        Span<byte> full = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(full, value);
        full[(4 - length)..].CopyTo(destination);
        return length;
    }

    /// <inheritdoc/>
    public bool Equals(CoapOption other) => Number == other.Number && Value.Span.SequenceEqual(other.Value.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CoapOption other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Number);
        hash.AddBytes(Value.Span);
        return hash.ToHashCode();
    }

    /// <summary>Equality of number and value bytes.</summary>
    public static bool operator ==(CoapOption left, CoapOption right) => left.Equals(right);

    /// <summary>Inequality of number or value bytes.</summary>
    public static bool operator !=(CoapOption left, CoapOption right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString()
    {
        Number.TryGetDefinition(out CoapOptionFormat format, out _, out _);
        string value = format switch
        {
            CoapOptionFormat.UInt => GetUInt().ToString(System.Globalization.CultureInfo.InvariantCulture),
            CoapOptionFormat.String => GetString(),
            CoapOptionFormat.Empty => string.Empty,
            _ => "0x" + Convert.ToHexString(Value.Span),
        };
        return $"{Number}: {value}";
    }
}
