using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>An IPv6 prefix such as <c>fd00::/64</c>. Bits beyond the length are always zero.</summary>
public readonly struct Ipv6Prefix : IEquatable<Ipv6Prefix>
{
    /// <summary>Creates a prefix, clearing bits beyond <paramref name="length"/>.</summary>
    public Ipv6Prefix(Ipv6Address address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 128);
        Length = length;
        Address = Mask(address, length);
    }

    /// <summary>The prefix bits (the rest zero).</summary>
    public Ipv6Address Address { get; }

    /// <summary>Prefix length in bits.</summary>
    public int Length { get; }

    /// <summary>The default mesh prefix of Contiki-NG and Contiki after 2015, <c>fd00::/64</c>.</summary>
    public static Ipv6Prefix DefaultMesh { get; } = new(new Ipv6Address(0xFD00_0000_0000_0000, 0), 64);

    /// <summary>The mesh prefix compiled into Contiki 2.x and 3.0, <c>aaaa::/64</c>.</summary>
    public static Ipv6Prefix LegacyContikiMesh { get; } = new(new Ipv6Address(0xAAAA_0000_0000_0000, 0), 64);

    /// <summary>Mask of the first <paramref name="length"/> bits, as two halves.</summary>
    public static (ulong High, ulong Low) MaskOf(int length) => length switch
    {
        <= 0 => (0, 0),
        < 64 => (ulong.MaxValue << (64 - length), 0),
        64 => (ulong.MaxValue, 0),
        < 128 => (ulong.MaxValue, ulong.MaxValue << (128 - length)),
        _ => (ulong.MaxValue, ulong.MaxValue),
    };

    /// <summary>True when the first <see cref="Length"/> bits of <paramref name="address"/> equal the prefix.</summary>
    public bool Contains(Ipv6Address address)
    {
        (ulong maskHigh, ulong maskLow) = MaskOf(Length);
        return (address.High & maskHigh) == Address.High && (address.Low & maskLow) == Address.Low;
    }

    /// <summary>Replaces the first <see cref="Length"/> bits of <paramref name="address"/> with the prefix.</summary>
    public Ipv6Address Overlay(Ipv6Address address)
    {
        (ulong maskHigh, ulong maskLow) = MaskOf(Length);
        return new Ipv6Address((address.High & ~maskHigh) | Address.High, (address.Low & ~maskLow) | Address.Low);
    }

    /// <summary>Parses <c>fd00::/64</c>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Ipv6Prefix prefix)
    {
        prefix = default;
        if (text is null)
        {
            return false;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !Ipv6Address.TryParse(text[..slash], out Ipv6Address address)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
            || length > 128)
        {
            return false;
        }

        prefix = new Ipv6Prefix(address, length);
        return true;
    }

    /// <summary>Parses <c>fd00::/64</c>, throwing <see cref="FormatException"/>.</summary>
    public static Ipv6Prefix Parse(string text) =>
        TryParse(text, out Ipv6Prefix prefix) ? prefix : throw new FormatException($"'{text}' is not an IPv6 prefix.");

    /// <inheritdoc />
    public bool Equals(Ipv6Prefix other) => Length == other.Length && Address == other.Address;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Ipv6Prefix other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Address, Length);

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{Length}";

    /// <summary>Equality.</summary>
    public static bool operator ==(Ipv6Prefix left, Ipv6Prefix right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Ipv6Prefix left, Ipv6Prefix right) => !left.Equals(right);

    private static Ipv6Address Mask(Ipv6Address address, int length)
    {
        (ulong maskHigh, ulong maskLow) = MaskOf(length);
        return new Ipv6Address(address.High & maskHigh, address.Low & maskLow);
    }
}
