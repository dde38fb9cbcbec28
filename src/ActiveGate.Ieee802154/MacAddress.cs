using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ActiveGate.Ieee802154;

/// <summary>How an address is carried in a MAC header (FCF bits 10-11 and 14-15).</summary>
public enum AddressingMode : byte
{
    /// <summary>No address (and no PAN id) present.</summary>
    None = 0,

    /// <summary>16-bit short address.</summary>
    Short = 2,

    /// <summary>64-bit extended address (EUI-64).</summary>
    Extended = 3,
}

/// <summary>
/// An 802.15.4 link-layer address: absent, 16-bit short, or 64-bit extended (EUI-64).
/// </summary>
/// <remarks>
/// Extended addresses are held in canonical (printed) order: EUI-64 <c>00:12:4b:00:06:0d:b2:a1</c>
/// is the value <c>0x00124B00060DB2A1</c>. On air both kinds are little-endian, so that EUI-64 is
/// sent as <c>a1 b2 0d 06 00 4b 12 00</c>; <see cref="TryWrite"/> and <see cref="Read"/> do the
/// reversal (a classic interop bug, see RIOT PR #5718).
/// </remarks>
public readonly struct MacAddress : IEquatable<MacAddress>
{
    private readonly ulong _value;

    private MacAddress(AddressingMode mode, ulong value)
    {
        Mode = mode;
        _value = value;
    }

    /// <summary>The broadcast short address 0xFFFF.</summary>
    public static MacAddress Broadcast { get; } = new(AddressingMode.Short, 0xFFFF);

    /// <summary>The absent address.</summary>
    public static MacAddress None { get; }

    /// <summary>How this address is carried.</summary>
    public AddressingMode Mode { get; }

    /// <summary>Bytes the address occupies in a MAC header (0, 2 or 8).</summary>
    public int Length => LengthOf(Mode);

    /// <summary>True for the short broadcast address 0xFFFF.</summary>
    public bool IsBroadcast => Mode == AddressingMode.Short && _value == 0xFFFF;

    /// <summary>The 16-bit value of a short address.</summary>
    /// <exception cref="InvalidOperationException">The address is not short.</exception>
    public ushort ShortValue => Mode == AddressingMode.Short ? (ushort)_value : throw new InvalidOperationException("Not a short address.");

    /// <summary>The EUI-64 of an extended address in canonical order.</summary>
    /// <exception cref="InvalidOperationException">The address is not extended.</exception>
    public ulong ExtendedValue => Mode == AddressingMode.Extended ? _value : throw new InvalidOperationException("Not an extended address.");

    /// <summary>A 16-bit short address.</summary>
    public static MacAddress FromShort(ushort value) => new(AddressingMode.Short, value);

    /// <summary>A 64-bit extended address given in canonical order (first printed byte most significant).</summary>
    public static MacAddress FromExtended(ulong eui64) => new(AddressingMode.Extended, eui64);

    /// <summary>An extended address from 8 bytes in canonical (big-endian, printed) order.</summary>
    public static MacAddress FromExtended(ReadOnlySpan<byte> canonicalEui64)
    {
        if (canonicalEui64.Length != 8)
        {
            throw new ArgumentException("An EUI-64 is 8 bytes.", nameof(canonicalEui64));
        }

        return new(AddressingMode.Extended, BinaryPrimitives.ReadUInt64BigEndian(canonicalEui64));
    }

    /// <summary>Bytes an address of <paramref name="mode"/> occupies.</summary>
    public static int LengthOf(AddressingMode mode) => mode switch
    {
        AddressingMode.Short => 2,
        AddressingMode.Extended => 8,
        _ => 0,
    };

    /// <summary>Reads an address in on-air (little-endian) order. The source must hold <see cref="LengthOf"/> bytes.</summary>
    public static MacAddress Read(AddressingMode mode, ReadOnlySpan<byte> source) => mode switch
    {
        AddressingMode.Short => new(mode, BinaryPrimitives.ReadUInt16LittleEndian(source)),
        AddressingMode.Extended => new(mode, BinaryPrimitives.ReadUInt64LittleEndian(source)),
        _ => None,
    };

    /// <summary>Writes the address in on-air (little-endian) order.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        switch (Mode)
        {
            case AddressingMode.Short:
                return BinaryPrimitives.TryWriteUInt16LittleEndian(destination, (ushort)_value);
            case AddressingMode.Extended:
                return BinaryPrimitives.TryWriteUInt64LittleEndian(destination, _value);
            default:
                return true;
        }
    }

    /// <summary>Writes the EUI-64 in canonical order (8 bytes), e.g. for deriving an IPv6 interface identifier.</summary>
    public void WriteCanonical(Span<byte> destination)
    {
        if (Mode != AddressingMode.Extended)
        {
            throw new InvalidOperationException("Not an extended address.");
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _value);
    }

    /// <summary>
    /// Parses <c>00:12:4b:00:06:0d:b2:a1</c> (or with '-' separators, or 16 hex digits) as an extended
    /// address and <c>0x1234</c> or <c>12:34</c> as a short address.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string hex = text.Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[2..];
        }

        hex = hex.Replace(":", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (!ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
        {
            return false;
        }

        if (hex.Length == 16)
        {
            address = FromExtended(value);
            return true;
        }

        if (hex.Length == 4)
        {
            address = FromShort((ushort)value);
            return true;
        }

        return false;
    }

    /// <summary>Parses like <see cref="TryParse"/>, throwing <see cref="FormatException"/> on failure.</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out MacAddress address) ? address : throw new FormatException($"'{text}' is not an 802.15.4 address.");

    /// <inheritdoc />
    public bool Equals(MacAddress other) => Mode == other.Mode && _value == other._value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Mode, _value);

    /// <summary>Canonical text: colon-separated bytes, or "-" for no address.</summary>
    public override string ToString()
    {
        return Mode switch
        {
            AddressingMode.Short => $"{_value >> 8:x2}:{_value & 0xFF:x2}",
            AddressingMode.Extended => FormatExtended(_value),
            _ => "-",
        };
    }

    private static string FormatExtended(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        string hex = Convert.ToHexStringLower(bytes);
        return string.Create(23, hex, static (chars, h) =>
        {
            for (int i = 0; i < 8; i++)
            {
                chars[i * 3] = h[i * 2];
                chars[(i * 3) + 1] = h[(i * 2) + 1];
                if (i < 7)
                {
                    chars[(i * 3) + 2] = ':';
                }
            }
        });
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);
}
