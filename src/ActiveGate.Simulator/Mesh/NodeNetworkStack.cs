using System.Net;
using System.Threading.Channels;
using ActiveGate.Coap.Transport;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Simulator.Mesh;

/// <summary>
/// The network stack of one simulated node, like Contiki's: 802.15.4 data frames, 6LoWPAN (IPHC with
/// context 0 = the mesh prefix, FRAG1/FRAGN), IPv6 with a link-local and a global address derived from
/// the EUI-64, ICMPv6 echo, and UDP port 5683 handed to CoAP as an <see cref="IDatagramTransport"/>.
/// </summary>
/// <remarks>
/// Single hop for now: the next hop of any destination is the link address the destination last used
/// (learned from received frames), else the one its interface identifier encodes. RPL (multi-hop,
/// DIO/DAO) goes beside this class in the next step.
/// </remarks>
public sealed class NodeNetworkStack : IDatagramTransport
{
    /// <summary>The CoAP port.</summary>
    public const ushort CoapPort = 5683;

    private const int MaxDatagram = 1280;

    private readonly NodeFrameLink _radio;
    private readonly ushort _panId;
    private readonly ContextTable _contexts;
    private readonly Reassembler _reassembler;
    private readonly ILogger _logger;
    private readonly Channel<(byte[] Payload, IPEndPoint Remote)> _inbox =
        Channel.CreateBounded<(byte[], IPEndPoint)>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Dictionary<Ipv6Address, MacAddress> _neighbours = [];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly MacAddress _mac;
    private Task? _receiveLoop;
    private byte _sequenceNumber;
    private ushort _datagramTag;

    /// <summary>Creates the stack of a node whose radio is <paramref name="radio"/>.</summary>
    public NodeNetworkStack(NodeFrameLink radio, ushort panId, Ipv6Prefix meshPrefix, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(radio);
        TimeProvider time = timeProvider ?? TimeProvider.System;
        _radio = radio;
        _panId = panId;
        _mac = MacAddress.FromExtended(radio.ExtendedAddress);
        _contexts = ContextTable.WithContext0(meshPrefix, time);
        _reassembler = new Reassembler(new ReassemblyOptions(), time);
        _logger = logger ?? NullLogger.Instance;
        LinkLocalAddress = Ipv6Address.LinkLocal(_mac);
        GlobalAddress = Ipv6Address.FromPrefix(meshPrefix, _mac);
        _sequenceNumber = (byte)radio.ExtendedAddress;
    }

    /// <summary>fe80::IID.</summary>
    public Ipv6Address LinkLocalAddress { get; }

    /// <summary>prefix::IID.</summary>
    public Ipv6Address GlobalAddress { get; }

    /// <summary>Echo requests answered.</summary>
    public long EchoRepliesSent { get; private set; }

    /// <summary>Datagrams dropped (bad checksum, not for us, undecodable).</summary>
    public long Dropped { get; private set; }

    /// <inheritdoc />
    public EndPoint LocalEndPoint => new IPEndPoint(GlobalAddress.ToIPAddress(), CoapPort);

    /// <inheritdoc />
    public int MaxDatagramSize => MaxDatagram - Ipv6Header.Length - UdpHeader.Size;

    /// <summary>Starts receiving from the radio.</summary>
    public void Start() => _receiveLoop ??= Task.Run(() => ReceiveLoopAsync(_stop.Token));

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        if (remote is not IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip)
        {
            throw new ArgumentException("The mesh carries IPv6 only.", nameof(remote));
        }

        Ipv6Address destination = Ipv6Address.FromIPAddress(ip.Address);
        Ipv6Address source = destination.IsLinkLocal || destination.IsMulticast ? LinkLocalAddress : GlobalAddress;
        byte[] packet = new byte[Ipv6Header.Length + UdpHeader.Size + datagram.Length];
        if (!Ipv6PacketBuilder.TryWriteUdp(source, destination, CoapPort, (ushort)ip.Port, datagram.Span, packet, out int length))
        {
            throw new ArgumentException("Datagram too large.", nameof(datagram));
        }

        await SendIpAsync(packet.AsMemory(0, length), destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<DatagramReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        (byte[] payload, IPEndPoint remote) = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        int length = Math.Min(payload.Length, buffer.Length);
        payload.AsSpan(0, length).CopyTo(buffer.Span);
        return new DatagramReceiveResult(length, remote, payload.Length > buffer.Length);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        _inbox.Writer.TryComplete();
        _reassembler.Dispose();
        _sendLock.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        byte[] datagram = new byte[MaxDatagram];
        try
        {
            await foreach (ReceivedFrame frame in _radio.ReceiveFramesAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await HandleFrameAsync(frame.Mpdu, datagram, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
                {
                    Dropped++;
                    NodeLog.FrameFailed(_logger, LinkLocalAddress.ToString(), ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async ValueTask HandleFrameAsync(ReadOnlyMemory<byte> mpdu, byte[] scratch, CancellationToken cancellationToken)
    {
        if (!MacFrameCodec.TryReadHeader(mpdu.Span, out MacHeader header, out int headerLength, out _)
            || header.FrameType != MacFrameType.Data
            || (header.DestinationPanId != 0xFFFF && header.DestinationPanId != _panId)
            || !(header.Destination.IsBroadcast || header.Destination == _mac)
            || headerLength >= mpdu.Length)
        {
            Dropped++;
            return;
        }

        ReadOnlyMemory<byte> lowpan = mpdu[headerLength..];
        var link = new LinkAddresses(header.Source, header.Destination);
        byte[] datagram;
        int length;
        switch (LowpanDispatch.Classify(lowpan.Span[0]))
        {
            case LowpanDispatchKind.FirstFragment:
            case LowpanDispatchKind.SubsequentFragment:
                if (_reassembler.Add(lowpan.Span, link, _contexts, out byte[]? whole, out _) != ReassemblyStatus.Complete || whole is null)
                {
                    return;
                }

                datagram = whole;
                length = whole.Length;
                break;
            default:
                if (LowpanCodec.TryDecode(lowpan.Span, link, _contexts, scratch, out length) != LowpanError.None)
                {
                    Dropped++;
                    return;
                }

                datagram = scratch;
                break;
        }

        await HandleDatagramAsync(datagram.AsMemory(0, length), header.Source, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleDatagramAsync(ReadOnlyMemory<byte> datagram, MacAddress linkSource, CancellationToken cancellationToken)
    {
        if (!Ipv6Packet.TryParse(datagram.Span, out Ipv6PacketInfo info, out _))
        {
            Dropped++;
            return;
        }

        Ipv6Address source = info.Header.Source;
        Ipv6Address destination = info.FinalDestination;
        if (destination != LinkLocalAddress && destination != GlobalAddress && destination != Ipv6Address.AllNodes)
        {
            Dropped++; // Not ours; a router node would forward it (next step: RPL).
            return;
        }

        lock (_neighbours)
        {
            _neighbours[source] = linkSource;
        }

        ReadOnlyMemory<byte> upper = datagram.Slice(info.UpperLayerOffset, info.UpperLayerLength);
        if (info.UpperLayerProtocol == IpProtocol.Udp)
        {
            if (!UdpHeader.TryRead(upper.Span, out UdpHeader udp)
                || !InternetChecksum.Verify(source, destination, IpProtocol.Udp, upper.Span)
                || udp.DestinationPort != CoapPort)
            {
                Dropped++;
                return;
            }

            byte[] payload = upper[UdpHeader.Size..].ToArray();
            _inbox.Writer.TryWrite((payload, new IPEndPoint(source.ToIPAddress(), udp.SourcePort)));
            return;
        }

        if (info.UpperLayerProtocol == IpProtocol.Icmpv6)
        {
            byte[]? reply = BuildEchoReply(upper.Span, source, destination);
            if (reply is not null)
            {
                await SendIpAsync(reply, source, cancellationToken).ConfigureAwait(false);
                EchoRepliesSent++;
            }
        }
    }

    private byte[]? BuildEchoReply(ReadOnlySpan<byte> icmp, Ipv6Address source, Ipv6Address destination)
    {
        if (!Icmpv6Message.TryRead(icmp, source, destination, out Icmpv6Message message, out _) || message.Type != Icmpv6Type.EchoRequest)
        {
            return null;
        }

        Ipv6Address from = destination.IsMulticast || source.IsLinkLocal ? LinkLocalAddress : destination;
        byte[] packet = new byte[Ipv6Header.Length + 4 + message.Body.Length];
        // The echo body (identifier, sequence, data) goes back unchanged.
        return Ipv6PacketBuilder.TryWriteIcmpv6(from, source, Icmpv6Type.EchoReply, 0, message.Body, packet, out int length)
            ? packet[..length]
            : null;
    }

    private async ValueTask SendIpAsync(ReadOnlyMemory<byte> packet, Ipv6Address destination, CancellationToken cancellationToken)
    {
        MacAddress nextHop;
        if (destination.IsMulticast)
        {
            nextHop = MacAddress.Broadcast;
        }
        else
        {
            lock (_neighbours)
            {
                if (!_neighbours.TryGetValue(destination, out nextHop))
                {
                    nextHop = InterfaceIdentifier.ToMac(destination.Low);
                }
            }
        }

        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * MacFrameCodec.MaxFrameLengthWithoutFcs];
        var frames = new Range[LowpanCodec.MaxFramesPerDatagram];
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MacHeader header = MacHeader.Data(_panId, _mac, nextHop, _sequenceNumber);
            LowpanError error = LowpanCodec.TryEncode(packet.Span, header, _contexts, _datagramTag++, output, frames, out int count);
            if (error != LowpanError.None)
            {
                NodeLog.FrameFailed(_logger, LinkLocalAddress.ToString(), $"cannot encode datagram: {error}");
                return;
            }

            _sequenceNumber = (byte)(_sequenceNumber + count);
            for (int i = 0; i < count; i++)
            {
                // Fragments leave back to back; a lost one dooms the datagram, as on a real mesh.
                FrameTransmitStatus status = await _radio.SendFrameAsync(output.AsMemory()[frames[i]], cancellationToken).ConfigureAwait(false);
                if (status != FrameTransmitStatus.Ok)
                {
                    break;
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }
}

internal static partial class NodeLog
{
    [LoggerMessage(20, LogLevel.Debug, "node {Node}: {Error}")]
    public static partial void FrameFailed(ILogger logger, string node, string error);
}
