using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Messages;

/// <summary>RPL control message option types (RFC 6550 §6.7).</summary>
public static class RplOptionType
{
    /// <summary>Pad1: a single zero byte, no length.</summary>
    public const byte Pad1 = 0x00;

    /// <summary>PadN.</summary>
    public const byte PadN = 0x01;

    /// <summary>DAG Metric Container (RFC 6551), kept opaque.</summary>
    public const byte DagMetricContainer = 0x02;

    /// <summary>Route Information.</summary>
    public const byte RouteInformation = 0x03;

    /// <summary>DODAG Configuration.</summary>
    public const byte DodagConfiguration = 0x04;

    /// <summary>RPL Target.</summary>
    public const byte Target = 0x05;

    /// <summary>Transit Information.</summary>
    public const byte TransitInformation = 0x06;

    /// <summary>Solicited Information.</summary>
    public const byte SolicitedInformation = 0x07;

    /// <summary>Prefix Information.</summary>
    public const byte PrefixInformation = 0x08;

    /// <summary>RPL Target Descriptor.</summary>
    public const byte TargetDescriptor = 0x09;
}

/// <summary>
/// One option of an RPL control message. Every option except Pad1 is
/// <c>Type(1) Length(1) Data(Length)</c>; padding is consumed by the reader and never surfaces.
/// </summary>
public abstract record RplOption
{
    /// <summary>The option type byte.</summary>
    public abstract byte Type { get; }

    /// <summary>Bytes of the option data (the Length field).</summary>
    public abstract int DataLength { get; }

    /// <summary>Writes exactly <see cref="DataLength"/> bytes of option data.</summary>
    internal abstract void WriteData(Span<byte> destination);
}

/// <summary>A DAG Metric Container (type 2): metrics are not interpreted here, the bytes are kept.</summary>
public sealed record DagMetricContainerOption(ReadOnlyMemory<byte> Data) : RplOption
{
    /// <inheritdoc />
    public override byte Type => RplOptionType.DagMetricContainer;

    /// <inheritdoc />
    public override int DataLength => Data.Length;

    internal override void WriteData(Span<byte> destination) => Data.Span.CopyTo(destination);
}

/// <summary>An option type this codec does not know; kept so a message can be re-encoded unchanged.</summary>
public sealed record UnknownRplOption(byte OptionType, ReadOnlyMemory<byte> Data) : RplOption
{
    /// <inheritdoc />
    public override byte Type => OptionType;

    /// <inheritdoc />
    public override int DataLength => Data.Length;

    internal override void WriteData(Span<byte> destination) => Data.Span.CopyTo(destination);
}

/// <summary>
/// Route Information (type 3, RFC 6550 §6.7.5).
/// <code>
///  0                   1                   2                   3
/// |   Type = 0x03 | Option Length | Prefix Length |Resvd|Prf|Resvd|
/// |                        Route Lifetime                         |
/// |                   Prefix (Variable Length)                    |
/// </code>
/// </summary>
public sealed record RouteInformationOption(Ipv6Prefix Prefix, byte Preference, uint RouteLifetime) : RplOption
{
    /// <inheritdoc />
    public override byte Type => RplOptionType.RouteInformation;

    /// <inheritdoc />
    public override int DataLength => 6 + RplPrefixBytes.Count(Prefix.Length);

    internal override void WriteData(Span<byte> destination)
    {
        destination[0] = (byte)Prefix.Length;
        destination[1] = (byte)((Preference & 0x03) << 3);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[2..], RouteLifetime);
        RplPrefixBytes.Write(Prefix, destination[6..]);
    }
}

/// <summary>
/// DODAG Configuration (type 4, length 14, RFC 6550 §6.7.6): the trickle and rank parameters
/// every node of the DODAG adopts from the root.
/// <code>
///  0                   1                   2                   3
/// |   Type = 0x04 |Opt Length = 14| Flags |A| PCS | DIOIntDoubl.  |
/// |  DIOIntMin.   |   DIORedun.   |        MaxRankIncrease        |
/// |      MinHopRankIncrease       |              OCP              |
/// |   Reserved    | Def. Lifetime |      Lifetime Unit            |
/// </code>
/// </summary>
public sealed record DodagConfigurationOption : RplOption
{
    /// <summary>Fixed option data length.</summary>
    public const int Length = 14;

    /// <summary>The 4 reserved flag bits.</summary>
    public byte Flags { get; init; }

    /// <summary>Authentication enabled (A).</summary>
    public bool AuthenticationEnabled { get; init; }

    /// <summary>Path Control Size (3 bits).</summary>
    public byte PathControlSize { get; init; }

    /// <summary>Trickle doublings: Imax = Imin · 2^doublings.</summary>
    public byte DioIntervalDoublings { get; init; }

    /// <summary>Trickle Imin = 2^DIOIntMin milliseconds.</summary>
    public byte DioIntervalMin { get; init; }

    /// <summary>Trickle redundancy constant k (0 = never suppress).</summary>
    public byte DioRedundancyConstant { get; init; }

    /// <summary>Largest rank increase a node may make during local repair (0 = no limit).</summary>
    public ushort MaxRankIncrease { get; init; }

    /// <summary>Minimum rank step per hop; the root's rank equals it.</summary>
    public ushort MinHopRankIncrease { get; init; }

    /// <summary>Objective Code Point (1 = MRHOF).</summary>
    public ushort ObjectiveCodePoint { get; init; }

    /// <summary>The reserved byte.</summary>
    public byte Reserved { get; init; }

    /// <summary>Lifetime of routes, in <see cref="LifetimeUnit"/> seconds (0xFF = infinite).</summary>
    public byte DefaultLifetime { get; init; }

    /// <summary>Seconds per lifetime unit.</summary>
    public ushort LifetimeUnit { get; init; }

    /// <inheritdoc />
    public override byte Type => RplOptionType.DodagConfiguration;

    /// <inheritdoc />
    public override int DataLength => Length;

    internal override void WriteData(Span<byte> destination)
    {
        destination[0] = (byte)((Flags << 4) | (AuthenticationEnabled ? 0x08 : 0) | (PathControlSize & 0x07));
        destination[1] = DioIntervalDoublings;
        destination[2] = DioIntervalMin;
        destination[3] = DioRedundancyConstant;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[4..], MaxRankIncrease);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[6..], MinHopRankIncrease);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[8..], ObjectiveCodePoint);
        destination[10] = Reserved;
        destination[11] = DefaultLifetime;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[12..], LifetimeUnit);
    }
}

/// <summary>
/// RPL Target (type 5, RFC 6550 §6.7.7): the address or prefix a DAO advertises.
/// <code>
///  0                   1                   2                   3
/// |   Type = 0x05 | Option Length |     Flags     | Prefix Length |
/// |                Target Prefix (Variable Length)                |
/// </code>
/// </summary>
public sealed record RplTargetOption(Ipv6Prefix Target, byte Flags = 0) : RplOption
{
    /// <summary>A /128 target for one address.</summary>
    public static RplTargetOption ForAddress(Ipv6Address address) => new(new Ipv6Prefix(address, 128));

    /// <inheritdoc />
    public override byte Type => RplOptionType.Target;

    /// <inheritdoc />
    public override int DataLength => 2 + RplPrefixBytes.Count(Target.Length);

    internal override void WriteData(Span<byte> destination)
    {
        destination[0] = Flags;
        destination[1] = (byte)Target.Length;
        RplPrefixBytes.Write(Target, destination[2..]);
    }
}

/// <summary>
/// Transit Information (type 6, RFC 6550 §6.7.8). Length 4 in storing mode; 20 with the parent's
/// address in non-storing mode, where it is how the root learns the child→parent graph.
/// <code>
///  0                   1                   2                   3
/// |   Type = 0x06 | Option Length |E|    Flags    | Path Control  |
/// | Path Sequence | Path Lifetime |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
/// |                  Parent Address* (16 bytes)                   |
/// </code>
/// </summary>
public sealed record TransitInformationOption : RplOption
{
    /// <summary>External (E): the target is outside the RPL domain.</summary>
    public bool External { get; init; }

    /// <summary>The 7 remaining flag bits.</summary>
    public byte Flags { get; init; }

    /// <summary>Path Control bits.</summary>
    public byte PathControl { get; init; }

    /// <summary>Path Sequence (lollipop).</summary>
    public byte PathSequence { get; init; }

    /// <summary>Path Lifetime in lifetime units; 0 = No-Path, 0xFF = infinite.</summary>
    public byte PathLifetime { get; init; }

    /// <summary>The parent's address (non-storing mode), or null.</summary>
    public Ipv6Address? ParentAddress { get; init; }

    /// <inheritdoc />
    public override byte Type => RplOptionType.TransitInformation;

    /// <inheritdoc />
    public override int DataLength => ParentAddress is null ? 4 : 20;

    internal override void WriteData(Span<byte> destination)
    {
        destination[0] = (byte)((External ? 0x80 : 0) | (Flags & 0x7F));
        destination[1] = PathControl;
        destination[2] = PathSequence;
        destination[3] = PathLifetime;
        ParentAddress?.Write(destination[4..]);
    }
}

/// <summary>
/// Solicited Information (type 7, length 19, RFC 6550 §6.7.9): the predicates of a DIS.
/// <code>
///  0                   1                   2                   3
/// |   Type = 0x07 |Opt Length = 19| RPLInstanceID |V|I|D|  Flags  |
/// |                        DODAGID (16 bytes)                     |
/// |Version Number |
/// </code>
/// </summary>
public sealed record SolicitedInformationOption : RplOption
{
    /// <summary>Fixed option data length.</summary>
    public const int Length = 19;

    /// <summary>The instance the predicate names.</summary>
    public byte InstanceId { get; init; }

    /// <summary>V: the version must match.</summary>
    public bool VersionPredicate { get; init; }

    /// <summary>I: the instance must match.</summary>
    public bool InstancePredicate { get; init; }

    /// <summary>D: the DODAG id must match.</summary>
    public bool DodagIdPredicate { get; init; }

    /// <summary>The 5 remaining flag bits.</summary>
    public byte Flags { get; init; }

    /// <summary>The DODAG id the predicate names.</summary>
    public Ipv6Address DodagId { get; init; }

    /// <summary>The version the predicate names.</summary>
    public byte Version { get; init; }

    /// <inheritdoc />
    public override byte Type => RplOptionType.SolicitedInformation;

    /// <inheritdoc />
    public override int DataLength => Length;

    internal override void WriteData(Span<byte> destination)
    {
        destination[0] = InstanceId;
        destination[1] = (byte)((VersionPredicate ? 0x80 : 0) | (InstancePredicate ? 0x40 : 0) | (DodagIdPredicate ? 0x20 : 0) | (Flags & 0x1F));
        DodagId.Write(destination[2..]);
        destination[18] = Version;
    }
}

/// <summary>
/// Prefix Information (type 8, length 30, RFC 6550 §6.7.10, the RFC 4861 PIO body).
/// <code>
///  0                   1                   2                   3
/// |   Type = 0x08 |Opt Length = 30| Prefix Length |L|A|R|Reserved1|
/// |                         Valid Lifetime                        |
/// |                       Preferred Lifetime                      |
/// |                           Reserved2                           |
/// |                         Prefix (16 bytes)                     |
/// </code>
/// </summary>
public sealed record PrefixInformationOption : RplOption
{
    /// <summary>Fixed option data length.</summary>
    public const int Length = 30;

    /// <summary>The advertised prefix.</summary>
    public Ipv6Prefix Prefix { get; init; }

    /// <summary>L: the prefix is on-link.</summary>
    public bool OnLink { get; init; }

    /// <summary>A: nodes may autoconfigure addresses from it (Contiki needs it set).</summary>
    public bool Autonomous { get; init; }

    /// <summary>R: the prefix field holds the router's full address.</summary>
    public bool RouterAddress { get; init; }

    /// <summary>Valid lifetime in seconds (0xFFFFFFFF = infinite).</summary>
    public uint ValidLifetime { get; init; }

    /// <summary>Preferred lifetime in seconds (0xFFFFFFFF = infinite).</summary>
    public uint PreferredLifetime { get; init; }

    /// <summary>
    /// The full 16 prefix bytes as sent; with R set they carry the router's address, so they are kept
    /// separately from the masked <see cref="Prefix"/>.
    /// </summary>
    public Ipv6Address PrefixField { get; init; }

    /// <inheritdoc />
    public override byte Type => RplOptionType.PrefixInformation;

    /// <inheritdoc />
    public override int DataLength => Length;

    internal override void WriteData(Span<byte> destination)
    {
        destination[0] = (byte)Prefix.Length;
        destination[1] = (byte)((OnLink ? 0x80 : 0) | (Autonomous ? 0x40 : 0) | (RouterAddress ? 0x20 : 0));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[2..], ValidLifetime);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[6..], PreferredLifetime);
        destination.Slice(10, 4).Clear();
        (PrefixField.IsUnspecified ? Prefix.Address : PrefixField).Write(destination[14..]);
    }
}

/// <summary>RPL Target Descriptor (type 9, length 4, RFC 6550 §6.7.11): an opaque 32-bit tag of the preceding target.</summary>
public sealed record TargetDescriptorOption(uint Descriptor) : RplOption
{
    /// <inheritdoc />
    public override byte Type => RplOptionType.TargetDescriptor;

    /// <inheritdoc />
    public override int DataLength => 4;

    internal override void WriteData(Span<byte> destination) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination, Descriptor);
}

/// <summary>Variable-length prefixes: only ceil(length/8) bytes travel.</summary>
internal static class RplPrefixBytes
{
    public static int Count(int prefixLength) => (prefixLength + 7) / 8;

    public static void Write(Ipv6Prefix prefix, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[16];
        prefix.Address.Write(full);
        full[..Count(prefix.Length)].CopyTo(destination);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, int prefixLength, out Ipv6Prefix prefix)
    {
        prefix = default;
        int count = Count(prefixLength);
        if (prefixLength > 128 || source.Length < count)
        {
            return false;
        }

        Span<byte> full = stackalloc byte[16];
        full.Clear();
        source[..count].CopyTo(full);
        prefix = new Ipv6Prefix(Ipv6Address.Read(full), prefixLength);
        return true;
    }
}
