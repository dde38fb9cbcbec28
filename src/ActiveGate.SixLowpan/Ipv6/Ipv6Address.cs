using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Ieee802154;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>
/// An IPv6 address as two 64-bit halves (big-endian: <see cref="High"/> holds bytes 0-7). Unlike
/// <see cref="IPAddress"/> it is an unmanaged value, so codecs compare and build addresses without
/// allocating.
/// </summary>
public readonly struct Ipv6Address : IEquatable<Ipv6Address>
{
    /// <summary>Creates an address from its halves.</summary>
    public Ipv6Address(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    /// <summary>Bytes 0-7 (the /64 prefix for unicast addresses).</summary>
    public ulong High { get; }

    /// <summary>Bytes 8-15 (the interface identifier for unicast addresses).</summary>
    public ulong Low { get; }

    /// <summary>The unspecified address <c>::</c>.</summary>
    public static Ipv6Address Unspecified => default;

    /// <summary><c>ff02::1</c>, all nodes.</summary>
    public static Ipv6Address AllNodes { get; } = new(0xFF02_0000_0000_0000, 1);

    /// <summary><c>ff02::2</c>, all routers.</summary>
    public static Ipv6Address AllRouters { get; } = new(0xFF02_0000_0000_0000, 2);

    /// <summary><c>ff02::1a</c>, all RPL nodes.</summary>
    public static Ipv6Address AllRplNodes { get; } = new(0xFF02_0000_0000_0000, 0x1A);

    /// <summary>The link-local prefix <c>fe80::/64</c> as a <see cref="High"/> value.</summary>
    public const ulong LinkLocalHigh = 0xFE80_0000_0000_0000;

    /// <summary>True for <c>ff00::/8</c>.</summary>
    public bool IsMulticast => (High >> 56) == 0xFF;

    /// <summary>True for <c>fe80::/64</c> (the only link-local prefix 6LoWPAN compresses statelessly).</summary>
    public bool IsLinkLocal => High == LinkLocalHigh;

    /// <summary>True for <c>::</c>.</summary>
    public bool IsUnspecified => High == 0 && Low == 0;

    /// <summary>How many leading bytes this address shares with <paramref name="other"/> (0-16); RFC 6554 elides them.</summary>
    public int CommonPrefixBytes(Ipv6Address other)
    {
        ulong high = High ^ other.High;
        if (high != 0)
        {
            return (int)(ulong.LeadingZeroCount(high) >> 3);
        }

        ulong low = Low ^ other.Low;
        return low == 0 ? 16 : 8 + (int)(ulong.LeadingZeroCount(low) >> 3);
    }

    /// <summary>Reads 16 bytes in network order.</summary>
    public static Ipv6Address Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>Writes 16 bytes in network order.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>A link-local address whose interface identifier is derived from a MAC address.</summary>
    public static Ipv6Address LinkLocal(MacAddress mac) => new(LinkLocalHigh, InterfaceIdentifier.FromMac(mac));

    /// <summary>An address in <paramref name="prefix"/> (a /64) whose interface identifier comes from a MAC address.</summary>
    public static Ipv6Address FromPrefix(Ipv6Prefix prefix, MacAddress mac) => new(prefix.Address.High, InterfaceIdentifier.FromMac(mac));

    /// <summary>Converts from <see cref="IPAddress"/>; IPv4-mapped and IPv4 addresses are rejected.</summary>
    public static Ipv6Address FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("Not an IPv6 address.", nameof(address));
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return Read(bytes);
    }

    /// <summary>Converts to <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>Parses textual IPv6.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Ipv6Address address)
    {
        address = default;
        if (text is null || !IPAddress.TryParse(text, out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = FromIPAddress(ip);
        return true;
    }

    /// <summary>Parses textual IPv6, throwing <see cref="FormatException"/>.</summary>
    public static Ipv6Address Parse(string text) =>
        TryParse(text, out Ipv6Address address) ? address : throw new FormatException($"'{text}' is not an IPv6 address.");

    /// <inheritdoc />
    public bool Equals(Ipv6Address other) => High == other.High && Low == other.Low;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Ipv6Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(High, Low);

    /// <summary>RFC 5952 text.</summary>
    public override string ToString() => ToIPAddress().ToString();

    /// <summary>Equality.</summary>
    public static bool operator ==(Ipv6Address left, Ipv6Address right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Ipv6Address left, Ipv6Address right) => !left.Equals(right);
}

/// <summary>Interface identifiers derived from 802.15.4 addresses (RFC 4944 §6, RFC 6282 §3.2.2).</summary>
public static class InterfaceIdentifier
{
    private const ulong UniversalLocalBit = 0x0200_0000_0000_0000;
    private const ulong ShortPattern = 0x0000_00FF_FE00_0000;

    /// <summary>
    /// The IID for a MAC address: EUI-64 with the U/L bit flipped, or <c>0000:00ff:fe00:XXXX</c>
    /// for a short address (without the PAN id, as RFC 6282 and Contiki do).
    /// </summary>
    public static ulong FromMac(MacAddress mac) => mac.Mode switch
    {
        AddressingMode.Extended => mac.ExtendedValue ^ UniversalLocalBit,
        AddressingMode.Short => ShortPattern | mac.ShortValue,
        _ => throw new ArgumentException("No address to derive an interface identifier from.", nameof(mac)),
    };

    /// <summary>True when <paramref name="iid"/> has the short-address form <c>0000:00ff:fe00:XXXX</c>.</summary>
    public static bool IsShortForm(ulong iid) => (iid & 0xFFFF_FFFF_FFFF_0000) == ShortPattern;

    /// <summary>The MAC address an IID was derived from (short form or EUI-64 with U/L flipped back).</summary>
    public static MacAddress ToMac(ulong iid) =>
        IsShortForm(iid) ? MacAddress.FromShort((ushort)iid) : MacAddress.FromExtended(iid ^ UniversalLocalBit);
}
