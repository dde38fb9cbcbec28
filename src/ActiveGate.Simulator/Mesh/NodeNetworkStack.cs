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
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Node;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.Radio;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Simulator.Mesh;

/// <summary>
/// The network stack of one simulated node, like Contiki's: 802.15.4 data frames, 6LoWPAN (IPHC with
/// context 0 = the mesh prefix, FRAG1/FRAGN), IPv6 with a link-local and a global address derived from
/// the EUI-64, ICMPv6 echo, and UDP port 5683 handed to CoAP as an <see cref="IDatagramTransport"/>.
/// </summary>
/// <remarks>
/// <para>Without RPL (single hop): the node has its global address from the start, the next hop of any
/// destination is the link address the destination last used (learned from received frames), else the
/// one its interface identifier encodes, and datagrams for others are dropped.</para>
/// <para>With RPL (<see cref="NodeRplSettings"/>) it is a Contiki RPL router: no global address until it
/// joins a DODAG with its MOP (prefix from the DIO's Prefix Information option), DIS/DIO/DAO by the
/// shared <see cref="RplNodeBehaviour"/> model, upward traffic to the preferred parent, downward traffic
/// by its stored routes (storing) or the RFC 6554 source route (non-storing), and the RFC 6553 RPL option
/// inserted or updated on every datagram it routes. Link ETX (from the radio's attempts) feeds parent choice.</para>
/// </remarks>
public sealed class NodeNetworkStack : IDatagramTransport, IRplMessageSink
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
    private readonly RplNodeBehaviour? _rpl;
    private readonly Dictionary<ulong, double> _etx = [];
    private readonly Ipv6Address _fixedGlobalAddress;
    private Task? _receiveLoop;
    private byte _sequenceNumber;
    private ushort _datagramTag;
    private long _forwarded;

    /// <summary>Creates the stack of a node whose radio is <paramref name="radio"/>.</summary>
    /// <param name="radio">The node's radio on the air.</param>
    /// <param name="panId">PAN id.</param>
    /// <param name="meshPrefix">Mesh prefix (IPHC context 0; the global address without RPL).</param>
    /// <param name="timeProvider">Clock.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="rpl">RPL settings; null = single hop, no RPL.</param>
    /// <param name="random">Randomness of the RPL timers (seed it for reproducible runs).</param>
    public NodeNetworkStack(NodeFrameLink radio, ushort panId, Ipv6Prefix meshPrefix, TimeProvider? timeProvider = null, ILogger? logger = null, NodeRplSettings? rpl = null, Random? random = null)
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
        _fixedGlobalAddress = Ipv6Address.FromPrefix(meshPrefix, _mac);
        _sequenceNumber = (byte)radio.ExtendedAddress;
        if (rpl is not null)
        {
            _rpl = new RplNodeBehaviour(rpl.ToNodeOptions(_mac), this, time, random)
            {
                LinkMetric = LinkMetric,
            };
        }
    }

    /// <summary>The RPL router model (parent, rank, routes), or null without RPL.</summary>
    public RplNodeBehaviour? Rpl => _rpl;

    /// <summary>Datagrams routed on for others (RPL).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>fe80::IID.</summary>
    public Ipv6Address LinkLocalAddress { get; }

    /// <summary>prefix::IID; with RPL unspecified until the node joins a DODAG.</summary>
    public Ipv6Address GlobalAddress => _rpl is null ? _fixedGlobalAddress : _rpl.GlobalAddress;

    /// <summary>Echo requests answered.</summary>
    public long EchoRepliesSent { get; private set; }

    /// <summary>Datagrams dropped (bad checksum, not for us, undecodable).</summary>
    public long Dropped { get; private set; }

    /// <inheritdoc />
    public EndPoint LocalEndPoint => new IPEndPoint(GlobalAddress.ToIPAddress(), CoapPort);

    /// <inheritdoc />
    public int MaxDatagramSize => MaxDatagram - Ipv6Header.Length - UdpHeader.Size;

    /// <summary>Starts receiving from the radio.</summary>
    public void Start()
    {
        if (_receiveLoop is null)
        {
            _receiveLoop = Task.Run(() => ReceiveLoopAsync(_stop.Token));
            _rpl?.Start();
        }
    }

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken)
    {
        if (remote is not IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip)
        {
            throw new ArgumentException("The mesh carries IPv6 only.", nameof(remote));
        }

        Ipv6Address destination = Ipv6Address.FromIPAddress(ip.Address);
        Ipv6Address source = destination.IsLinkLocal || destination.IsMulticast ? LinkLocalAddress : GlobalAddress;
        if (source.IsUnspecified)
        {
            Dropped++; // Not joined yet: no global address to answer from.
            return;
        }

        byte[] packet = new byte[Ipv6Header.Length + UdpHeader.Size + datagram.Length];
        if (!Ipv6PacketBuilder.TryWriteUdp(source, destination, CoapPort, (ushort)ip.Port, datagram.Span, packet, out int length))
        {
            throw new ArgumentException("Datagram too large.", nameof(datagram));
        }

        await SendOwnAsync(packet[..length], destination, cancellationToken).ConfigureAwait(false);
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
        _rpl?.Dispose();
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

        if (_rpl is not null)
        {
            await HandleRoutedDatagramAsync(datagram, info, linkSource, cancellationToken).ConfigureAwait(false);
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

        await SendToMacAsync(packet, nextHop, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> SendToMacAsync(ReadOnlyMemory<byte> packet, MacAddress nextHop, CancellationToken cancellationToken)
    {
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
                return false;
            }

            _sequenceNumber = (byte)(_sequenceNumber + count);
            for (int i = 0; i < count; i++)
            {
                // Fragments leave back to back; a lost one dooms the datagram, as on a real mesh.
                TxResult result = await _radio.TransmitAsync(output.AsMemory()[frames[i]], cancellationToken).ConfigureAwait(false);
                if (_rpl is not null && !nextHop.IsBroadcast)
                {
                    UpdateEtx(nextHop, result);
                }

                if (result.Status != TxStatus.Ok)
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // ---- RPL router ----

    /// <inheritdoc />
    void IRplMessageSink.Send(in RplOutgoingMessage message)
    {
        // Called from the model's timers and receive path: never block them.
        RplOutgoingMessage copy = message;
        _ = Task.Run(() => SendRplAsync(copy));
    }

    private async Task SendRplAsync(RplOutgoingMessage message)
    {
        try
        {
            ReadOnlySpan<byte> icmp = message.Icmpv6Message.Span;
            byte[] packet = new byte[Ipv6Header.Length + icmp.Length];
            bool onLink = message.Destination.IsMulticast || message.Destination.IsLinkLocal;
            if (!Ipv6PacketBuilder.TryWriteIcmpv6(message.Source, message.Destination, icmp[0], icmp[1], icmp[4..], packet, out int length, onLink ? (byte)255 : (byte)64))
            {
                return;
            }

            await SendOwnAsync(packet[..length], message.Destination, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
            // The node was switched off.
        }
    }

    // A datagram this node originates: on-link and multicast go straight out; routed ones get the
    // RPL option (Contiki inserts it on everything it sends through the DODAG) and the next hop from RPL.
    private async ValueTask SendOwnAsync(byte[] packet, Ipv6Address destination, CancellationToken cancellationToken)
    {
        if (_rpl is null)
        {
            await SendIpAsync(packet, destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!TryResolveNextHop(destination, out MacAddress nextHop, out bool down))
        {
            Dropped++;
            return;
        }

        if (!destination.IsMulticast && !destination.IsLinkLocal)
        {
            packet = RplForwarding.WithRplOption(packet, new RplHopByHopOption(down, false, false, _rpl.InstanceId, _rpl.Rank));
        }

        await SendToMacAsync(packet, nextHop, cancellationToken).ConfigureAwait(false);
    }

    private bool TryResolveNextHop(Ipv6Address destination, out MacAddress nextHop, out bool down)
    {
        down = false;
        if (destination.IsMulticast)
        {
            nextHop = MacAddress.Broadcast;
            return true;
        }

        if (destination.IsLinkLocal)
        {
            nextHop = InterfaceIdentifier.ToMac(destination.Low);
            return true;
        }

        if (_rpl is not null && _rpl.TryGetNextHop(destination, out Ipv6Address hop))
        {
            nextHop = InterfaceIdentifier.ToMac(hop.Low);
            down = _rpl.PreferredParent is not { } parent || parent.Low != hop.Low;
            return true;
        }

        nextHop = default;
        return false;
    }

    private async ValueTask HandleRoutedDatagramAsync(ReadOnlyMemory<byte> datagram, Ipv6PacketInfo info, MacAddress linkSource, CancellationToken cancellationToken)
    {
        RplNodeBehaviour rpl = _rpl!;
        Ipv6Address destination = info.Header.Destination;
        bool local = rpl.IsLocal(destination) || destination == Ipv6Address.AllNodes || destination == Ipv6Address.AllRplNodes;
        lock (_etx)
        {
            _etx.TryAdd(InterfaceIdentifier.FromMac(linkSource), 1.0);
        }

        if (local && info.SegmentsLeft > 0)
        {
            // RFC 6554: we are the current hop of a source route; step it and pass the datagram on.
            byte[] routed = datagram.ToArray();
            if (!RplForwarding.DecrementHopLimit(routed) || !RplForwarding.TryAdvanceSourceRoute(routed, info.SourceRouteOffset, out Ipv6Address next))
            {
                Dropped++;
                return;
            }

            if (info.RplOption is not null)
            {
                routed = RplForwarding.WithRplOption(routed, new RplHopByHopOption(true, false, false, rpl.InstanceId, rpl.Rank));
            }

            Interlocked.Increment(ref _forwarded);
            await SendToMacAsync(routed, InterfaceIdentifier.ToMac(next.Low), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!local)
        {
            await ForwardAsync(datagram, info, linkSource, cancellationToken).ConfigureAwait(false);
            return;
        }

        Ipv6Address source = info.Header.Source;
        if (source.IsLinkLocal)
        {
            lock (_neighbours)
            {
                _neighbours[source] = linkSource;
            }
        }

        ReadOnlyMemory<byte> upper = datagram.Slice(info.UpperLayerOffset, info.UpperLayerLength);
        if (info.UpperLayerProtocol == IpProtocol.Udp)
        {
            if (!UdpHeader.TryRead(upper.Span, out UdpHeader udp)
                || !InternetChecksum.Verify(source, info.FinalDestination, IpProtocol.Udp, upper.Span)
                || udp.DestinationPort != CoapPort)
            {
                Dropped++;
                return;
            }

            _inbox.Writer.TryWrite((upper[UdpHeader.Size..].ToArray(), new IPEndPoint(source.ToIPAddress(), udp.SourcePort)));
            return;
        }

        if (info.UpperLayerProtocol != IpProtocol.Icmpv6
            || !Icmpv6Message.TryRead(upper.Span, source, info.FinalDestination, out Icmpv6Message message, out _))
        {
            Dropped++;
            return;
        }

        if (message.Type == RplConstants.IcmpType)
        {
            var context = new RplReceiveContext(source, info.FinalDestination, linkSource, info.RplOption);
            if (!rpl.HandleIcmp(context, upper.Span))
            {
                Dropped++;
            }

            return;
        }

        byte[]? reply = BuildEchoReply(upper.Span, source, info.FinalDestination);
        if (reply is not null)
        {
            await SendOwnAsync(reply, source, cancellationToken).ConfigureAwait(false);
            EchoRepliesSent++;
        }
    }

    // Hop-by-hop routing of a datagram for someone else: up to the preferred parent, or down a stored
    // route (storing mode). The RPL option carries our rank and the direction; a datagram that would go
    // back to the neighbour it came from is a loop (or a missing downward route) and is dropped.
    private async ValueTask ForwardAsync(ReadOnlyMemory<byte> datagram, Ipv6PacketInfo info, MacAddress linkSource, CancellationToken cancellationToken)
    {
        RplNodeBehaviour rpl = _rpl!;
        Ipv6Address destination = info.Header.Destination;
        if (destination.IsMulticast || destination.IsLinkLocal || !rpl.IsJoined
            || !TryResolveNextHop(destination, out MacAddress nextHop, out bool down)
            || nextHop == linkSource)
        {
            Dropped++;
            return;
        }

        byte[] routed = datagram.ToArray();
        if (!RplForwarding.DecrementHopLimit(routed))
        {
            Dropped++;
            return;
        }

        routed = RplForwarding.WithRplOption(routed, new RplHopByHopOption(down, false, false, rpl.InstanceId, rpl.Rank));
        Interlocked.Increment(ref _forwarded);
        await SendToMacAsync(routed, nextHop, cancellationToken).ConfigureAwait(false);
    }

    // Link ETX × 128 for MRHOF, from the radio's attempts (an exponentially weighted average, like
    // Contiki's link-stats); a neighbour never sent to counts as a perfect link.
    private ushort LinkMetric(Ipv6Address neighbour)
    {
        lock (_etx)
        {
            double etx = _etx.TryGetValue(neighbour.Low, out double value) ? value : 1.0;
            return (ushort)Math.Min(ushort.MaxValue - 1, Math.Round(etx * 128));
        }
    }

    private void UpdateEtx(MacAddress neighbour, TxResult result)
    {
        const double Alpha = 0.3;
        const double NoAckPenalty = 10;
        double sample = result.Status == TxStatus.Ok ? Math.Max(1, result.Transmissions) : NoAckPenalty;
        ulong iid = InterfaceIdentifier.FromMac(neighbour);
        lock (_etx)
        {
            double old = _etx.TryGetValue(iid, out double value) ? value : 1.0;
            _etx[iid] = ((1 - Alpha) * old) + (Alpha * sample);
        }
    }
}

internal static partial class NodeLog
{
    [LoggerMessage(20, LogLevel.Debug, "node {Node}: {Error}")]
    public static partial void FrameFailed(ILogger logger, string node, string error);
}
