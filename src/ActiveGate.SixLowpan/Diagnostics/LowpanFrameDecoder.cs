using ActiveGate.Ieee802154;
using ActiveGate.Ieee802154.Pcap;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Diagnostics;

/// <summary>One frame as our stack parses it (for <c>activegate pcap decode</c>); fields are null where absent.</summary>
public sealed record DecodedFrame
{
    /// <summary>1-based position in the capture.</summary>
    public int Number { get; init; }

    /// <summary>Capture time.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Captured length in bytes.</summary>
    public int Length { get; init; }

    /// <summary>FCS verdict for captures that carry one (link type 195), else null.</summary>
    public bool? FcsOk { get; init; }

    /// <summary>Why the frame was not decoded further, if it was not.</summary>
    public string? Error { get; init; }

    /// <summary>MAC frame type.</summary>
    public MacFrameType? FrameType { get; init; }

    /// <summary>MAC sequence number.</summary>
    public byte? Sequence { get; init; }

    /// <summary>Destination PAN id.</summary>
    public ushort? PanId { get; init; }

    /// <summary>MAC source.</summary>
    public string? MacSource { get; init; }

    /// <summary>MAC destination.</summary>
    public string? MacDestination { get; init; }

    /// <summary>6LoWPAN fragment header, when the frame is a fragment.</summary>
    public FragmentHeader? Fragment { get; init; }

    /// <summary>Size of the datagram this frame completed (fragments only).</summary>
    public int? ReassembledLength { get; init; }

    /// <summary>IPv6 source.</summary>
    public string? Ipv6Source { get; init; }

    /// <summary>IPv6 destination (the next hop when a source route is present).</summary>
    public string? Ipv6Destination { get; init; }

    /// <summary>The final destination of a source-routed datagram.</summary>
    public string? FinalDestination { get; init; }

    /// <summary>Hop limit.</summary>
    public byte? HopLimit { get; init; }

    /// <summary>Upper-layer protocol (17 UDP, 58 ICMPv6).</summary>
    public byte? NextHeader { get; init; }

    /// <summary>RPL Hop-by-Hop option, when present.</summary>
    public RplHopByHopOption? RplOption { get; init; }

    /// <summary>Segments left of an RFC 6554 routing header.</summary>
    public int? SegmentsLeft { get; init; }

    /// <summary>UDP source port.</summary>
    public ushort? UdpSourcePort { get; init; }

    /// <summary>UDP destination port.</summary>
    public ushort? UdpDestinationPort { get; init; }

    /// <summary>UDP or ICMPv6 checksum verdict.</summary>
    public bool? ChecksumOk { get; init; }

    /// <summary>ICMPv6 type.</summary>
    public byte? Icmpv6Type { get; init; }

    /// <summary>ICMPv6 code.</summary>
    public byte? Icmpv6Code { get; init; }

    /// <summary>The UDP payload (e.g. a CoAP message for the caller to parse with the Coap codec).</summary>
    public ReadOnlyMemory<byte> UdpPayload { get; init; }
}

/// <summary>
/// Decodes captured frames with the same code the agent runs (MAC, 6LoWPAN with reassembly, IPv6,
/// UDP, ICMPv6), so a capture can be compared field by field with what Wireshark shows.
/// </summary>
public sealed class LowpanFrameDecoder : IDisposable
{
    private readonly ContextTable _contexts;
    private readonly Reassembler _reassembler;
    private int _number;

    /// <summary>Creates a decoder; <paramref name="meshPrefix"/> is IPHC context 0 (default <c>fd00::/64</c>).</summary>
    public LowpanFrameDecoder(Ipv6Prefix? meshPrefix = null)
    {
        _contexts = ContextTable.WithContext0(meshPrefix ?? Ipv6Prefix.DefaultMesh);
        // Captures are replayed at once: a long timeout keeps fragments together regardless of capture time.
        _reassembler = new Reassembler(new ReassemblyOptions { Timeout = TimeSpan.FromDays(1), MaxDatagramSize = Iphc.Iphc.MaxDatagramSize });
    }

    /// <summary>Decodes every record of a pcap stream (link type 195 or 230).</summary>
    public static IReadOnlyList<DecodedFrame> DecodeCapture(Stream pcap, Ipv6Prefix? meshPrefix = null)
    {
        using var reader = new PcapReader(pcap, leaveOpen: true);
        if (reader.LinkType is not (PcapLinkType.Ieee802154WithFcs or PcapLinkType.Ieee802154NoFcs))
        {
            throw new PcapFormatException($"Link type {(uint)reader.LinkType} is not IEEE 802.15.4 (195 or 230).");
        }

        using var decoder = new LowpanFrameDecoder(meshPrefix);
        return reader.ReadAll().Select(r => decoder.Decode(r.Timestamp, r.Data.Span, reader.LinkType == PcapLinkType.Ieee802154WithFcs)).ToArray();
    }

    /// <summary>Decodes the next frame; <paramref name="hasFcs"/> says whether the last 2 bytes are the FCS.</summary>
    public DecodedFrame Decode(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, bool hasFcs)
    {
        var result = new DecodedFrame { Number = ++_number, Timestamp = timestamp, Length = frame.Length };
        if (hasFcs)
        {
            bool ok = Fcs.Verify(frame);
            result = result with { FcsOk = ok };
            if (!ok)
            {
                return result with { Error = "bad FCS" };
            }

            frame = frame[..^Fcs.Length];
        }

        if (!MacFrameCodec.TryRead(frame, out MacFrame mac, out MacFrameError macError))
        {
            return result with { Error = MacFrameFormatException.Describe(macError) };
        }

        MacHeader h = mac.Header;
        result = result with
        {
            FrameType = h.FrameType,
            Sequence = h.SequenceNumber,
            PanId = h.Destination.Mode != AddressingMode.None ? h.DestinationPanId : h.SourcePanId,
            MacSource = h.Source.Mode == AddressingMode.None ? null : h.Source.ToString(),
            MacDestination = h.Destination.Mode == AddressingMode.None ? null : h.Destination.ToString(),
        };
        if (h.FrameType != MacFrameType.Data || mac.Payload.IsEmpty)
        {
            return result;
        }

        var link = new LinkAddresses(h.Source, h.Destination);
        LowpanDispatchKind kind = LowpanDispatch.Classify(mac.Payload[0]);
        if (kind is LowpanDispatchKind.FirstFragment or LowpanDispatchKind.SubsequentFragment)
        {
            FragmentHeader.TryRead(mac.Payload, out FragmentHeader fragment);
            result = result with { Fragment = fragment };
            ReassemblyStatus status = _reassembler.Add(mac.Payload, link, _contexts, out byte[]? datagram, out LowpanError fragmentError);
            return status switch
            {
                ReassemblyStatus.Dropped => result with { Error = $"6LoWPAN: {fragmentError}" },
                ReassemblyStatus.Complete => DescribeDatagram(result with { ReassembledLength = datagram!.Length }, datagram),
                _ => result,
            };
        }

        byte[] buffer = new byte[Iphc.Iphc.MaxDatagramSize + 256];
        LowpanError error = LowpanCodec.TryDecode(mac.Payload, link, _contexts, buffer, out int length);
        return error == LowpanError.None
            ? DescribeDatagram(result, buffer.AsSpan(0, length))
            : result with { Error = $"6LoWPAN: {error}" };
    }

    /// <inheritdoc />
    public void Dispose() => _reassembler.Dispose();

    private static DecodedFrame DescribeDatagram(DecodedFrame result, ReadOnlySpan<byte> datagram)
    {
        if (!Ipv6Packet.TryParse(datagram, out Ipv6PacketInfo info, out LowpanError error))
        {
            return result with { Error = $"IPv6: {error}" };
        }

        result = result with
        {
            Ipv6Source = info.Header.Source.ToString(),
            Ipv6Destination = info.Header.Destination.ToString(),
            FinalDestination = info.FinalDestination.ToString(),
            HopLimit = info.Header.HopLimit,
            NextHeader = info.UpperLayerProtocol,
            RplOption = info.RplOption,
            SegmentsLeft = info.SourceRouteOffset >= 0 ? info.SegmentsLeft : null,
        };
        ReadOnlySpan<byte> upper = datagram.Slice(info.UpperLayerOffset, info.UpperLayerLength);
        if (info.UpperLayerProtocol == IpProtocol.Udp && UdpHeader.TryRead(upper, out UdpHeader udp))
        {
            return result with
            {
                UdpSourcePort = udp.SourcePort,
                UdpDestinationPort = udp.DestinationPort,
                ChecksumOk = InternetChecksum.Verify(info.Header.Source, info.FinalDestination, IpProtocol.Udp, upper),
                UdpPayload = upper[UdpHeader.Size..].ToArray(),
            };
        }

        if (info.UpperLayerProtocol == IpProtocol.Icmpv6 && upper.Length >= 4)
        {
            bool ok = Icmpv6Message.TryRead(upper, info.Header.Source, info.FinalDestination, out _, out _);
            return result with { Icmpv6Type = upper[0], Icmpv6Code = upper[1], ChecksumOk = ok };
        }

        return result;
    }
}
