using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Neighbors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.SixLowpan.Mesh;

/// <summary>
/// The agent's network interface on the 6LoWPAN mesh: IPv6 datagrams in and out of 802.15.4 frames
/// over an <see cref="IFrameLink"/>. It answers ICMPv6 echo, hands UDP datagrams to sockets bound
/// per port, passes other ICMPv6 (RPL) to registered handlers and keeps a neighbour table.
/// </summary>
/// <remarks>
/// <para>Addresses: link-local <c>fe80::IID</c> and mesh <c>prefix::IID</c>, with the IID derived
/// from the radio's EUI-64. Mesh nodes are reached through <see cref="Router"/> when set (RPL), else
/// directly at the MAC address derived from their IID (as Contiki does; no neighbour discovery).</para>
/// <para>Sends are serialised: all fragments of one datagram leave back to back (Contiki drops
/// interleaved fragments) and each waits for the radio's status.</para>
/// </remarks>
public sealed class MeshInterface : IAsyncDisposable
{
    private const int WorkBufferSize = 2048;

    private readonly IFrameLink _link;
    private readonly MeshInterfaceOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Reassembler _reassembler;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Range[] _frameRanges = new Range[LowpanCodec.MaxFramesPerDatagram];
    private readonly ConcurrentDictionary<ushort, MeshUdpSocket> _sockets = new();
    private readonly ConcurrentDictionary<byte, Action<Icmpv6Received>> _icmpHandlers = new();
    private readonly ConcurrentDictionary<ushort, (long Started, TaskCompletionSource<TimeSpan> Reply)> _pings = new();
    private readonly long[] _macErrors = new long[Enum.GetValues<MacFrameError>().Length];
    private readonly long[] _lowpanErrors = new long[Enum.GetValues<LowpanError>().Length];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ushort _echoIdentifier;
    private Task? _receiveLoop;
    private byte _sequenceNumber;
    private ushort _datagramTag;
    private int _echoSequence;
    private long _framesIn;
    private long _framesOut;
    private long _framesFailed;
    private long _duplicates;
    private long _datagramsIn;
    private long _datagramsOut;
    private long _notForUs;
    private long _noSocket;
    private long _socketOverflows;
    private long _echoReplies;
    private int _disposed;

    /// <summary>Creates the interface; call <see cref="Start"/> to begin receiving.</summary>
    /// <param name="link">Moves raw frames (the radio).</param>
    /// <param name="localAddress">Our extended MAC address: the radio's EUI-64 (slip-radio <c>!M</c>).</param>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="timeProvider">Clock for reassembly, neighbours and ping.</param>
    /// <param name="logger">Logger.</param>
    public MeshInterface(IFrameLink link, MacAddress localAddress, MeshInterfaceOptions? options = null, TimeProvider? timeProvider = null, ILogger<MeshInterface>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (localAddress.Mode != AddressingMode.Extended)
        {
            throw new ArgumentException("The interface needs the radio's extended (EUI-64) address.", nameof(localAddress));
        }

        _options = options ?? new MeshInterfaceOptions();
        _options.Validate();
        _link = link;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        LocalMacAddress = localAddress;
        LinkLocalAddress = Ipv6Address.LinkLocal(localAddress);
        MeshAddress = Ipv6Address.FromPrefix(_options.MeshPrefix, localAddress);
        Contexts = ContextTable.WithContext0(_options.MeshPrefix, _timeProvider);
        Neighbors = new NeighborTable(_timeProvider, _options.NeighborCapacity, _options.NeighborLifetime);
        _reassembler = new Reassembler(
            new ReassemblyOptions
            {
                Timeout = _options.ReassemblyTimeout,
                MaxConcurrent = _options.MaxConcurrentReassemblies,
                MaxDatagramSize = _options.MaxDatagramSize,
            },
            _timeProvider);
        _echoIdentifier = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        _sequenceNumber = (byte)Random.Shared.Next(256);
        _datagramTag = (ushort)Random.Shared.Next(ushort.MaxValue);
    }

    /// <summary>Our MAC address (the radio's EUI-64).</summary>
    public MacAddress LocalMacAddress { get; }

    /// <summary>Our link-local address, <c>fe80::IID</c>.</summary>
    public Ipv6Address LinkLocalAddress { get; }

    /// <summary>Our address in the mesh prefix (the DODAG id when we are the RPL root).</summary>
    public Ipv6Address MeshAddress { get; }

    /// <summary>The mesh prefix (IPHC context 0).</summary>
    public Ipv6Prefix MeshPrefix => _options.MeshPrefix;

    /// <summary>The PAN id used in frames we send.</summary>
    public ushort PanId => _options.PanId;

    /// <summary>The 6LoWPAN context table (context 0 = mesh prefix).</summary>
    public ContextTable Contexts { get; }

    /// <summary>Neighbours heard on the radio.</summary>
    public NeighborTable Neighbors { get; }

    /// <summary>Routing for destinations not reachable directly (set by the RPL root); null = all nodes one hop away.</summary>
    public IMeshRouter? Router { get; set; }

    /// <summary>Raised for every datagram addressed to us, on the receive loop (handlers must be quick).</summary>
    public event Action<HeardDatagram>? DatagramHeard;

    /// <summary>Reassembly counters.</summary>
    public ReassemblyCounters ReassemblyCounters => _reassembler.Counters;

    /// <summary>Largest UDP payload one datagram carries (without extension headers).</summary>
    public int MaxUdpPayload => _options.MaxDatagramSize - Ipv6Header.Length - UdpHeader.Size;

    /// <summary>Starts the receive loop (idempotent).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_receiveLoop is null)
        {
            _receiveLoop = Task.Run(() => ReceiveLoopAsync(_stopping.Token));
        }
    }

    /// <summary>Binds a UDP port. Throws <see cref="InvalidOperationException"/> when it is taken.</summary>
    public MeshUdpSocket BindUdp(ushort port)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var socket = new MeshUdpSocket(this, port, _options.SocketQueueLength);
        if (!_sockets.TryAdd(port, socket))
        {
            throw new InvalidOperationException($"UDP port {port} is already bound on the mesh interface.");
        }

        return socket;
    }

    /// <summary>
    /// Registers the handler for an ICMPv6 type other than echo (e.g. 155 for RPL). The handler runs on
    /// the receive loop and must not block; it owns the message.
    /// </summary>
    public void SetIcmpv6Handler(byte type, Action<Icmpv6Received>? handler)
    {
        if (handler is null)
        {
            _icmpHandlers.TryRemove(type, out _);
        }
        else
        {
            _icmpHandlers[type] = handler;
        }
    }

    /// <summary>The source address we use towards <paramref name="destination"/>: link-local for link-local and link-scope multicast, else the mesh address.</summary>
    public Ipv6Address SelectSourceAddress(Ipv6Address destination) =>
        destination.IsLinkLocal || (destination.IsMulticast && ((destination.High >> 48) & 0x0F) <= 2)
            ? LinkLocalAddress
            : MeshAddress;

    /// <summary>True when <paramref name="address"/> is one of ours (unicast or a multicast group we listen to).</summary>
    public bool IsLocalAddress(Ipv6Address address) =>
        address == LinkLocalAddress || address == MeshAddress
        || address == Ipv6Address.AllNodes || address == Ipv6Address.AllRouters || address == Ipv6Address.AllRplNodes;

    /// <summary>Sends a UDP datagram from <paramref name="sourcePort"/>.</summary>
    public async ValueTask<MeshSendStatus> SendUdpAsync(Ipv6Address destination, ushort sourcePort, ushort destinationPort, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!TryResolve(destination, out MeshRoute route))
        {
            return MeshSendStatus.NoRoute;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(WorkBufferSize + payload.Length);
        try
        {
            Ipv6Address[] via = route.Via is { Count: > 0 } v ? [.. v] : [];
            if (!Ipv6PacketBuilder.TryWriteUdp(SelectSourceAddress(destination), destination, sourcePort, destinationPort, payload.Span, buffer, out int length, _options.HopLimit, route.RplOption, via)
                || length > _options.MaxDatagramSize)
            {
                return MeshSendStatus.TooLarge;
            }

            return await SendFramesAsync(buffer.AsMemory(0, length), route.NextHop, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends an ICMPv6 message (RPL control messages, echo); <paramref name="body"/> follows the checksum.</summary>
    public async ValueTask<MeshSendStatus> SendIcmpv6Async(Ipv6Address destination, byte type, byte code, ReadOnlyMemory<byte> body, byte? hopLimit = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!TryResolve(destination, out MeshRoute route))
        {
            return MeshSendStatus.NoRoute;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(WorkBufferSize + body.Length);
        try
        {
            Ipv6Address[] via = route.Via is { Count: > 0 } v ? [.. v] : [];
            if (!Ipv6PacketBuilder.TryWriteIcmpv6(SelectSourceAddress(destination), destination, type, code, body.Span, buffer, out int length, hopLimit ?? _options.HopLimit, route.RplOption, via)
                || length > _options.MaxDatagramSize)
            {
                return MeshSendStatus.TooLarge;
            }

            return await SendFramesAsync(buffer.AsMemory(0, length), route.NextHop, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends a complete IPv6 datagram built by the caller to the link-layer next hop for its destination.</summary>
    public ValueTask<MeshSendStatus> SendDatagramAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (datagram.Length > _options.MaxDatagramSize || !Ipv6Header.TryRead(datagram.Span, out Ipv6Header header))
        {
            return ValueTask.FromResult(MeshSendStatus.TooLarge);
        }

        return TryResolve(header.Destination, out MeshRoute route)
            ? SendFramesAsync(datagram, route.NextHop, cancellationToken)
            : ValueTask.FromResult(MeshSendStatus.NoRoute);
    }

    /// <summary>ICMPv6 echo to <paramref name="destination"/>; waits for the reply up to <paramref name="timeout"/>.</summary>
    public async Task<PingResult> PingAsync(Ipv6Address destination, int payloadLength = 8, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ushort sequence = (ushort)Interlocked.Increment(ref _echoSequence);
        var reply = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[sequence] = (_timeProvider.GetTimestamp(), reply);
        try
        {
            byte[] body = new byte[4 + payloadLength];
            BinaryPrimitives.WriteUInt16BigEndian(body, _echoIdentifier);
            BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), sequence);
            for (int i = 4; i < body.Length; i++)
            {
                body[i] = (byte)i;
            }

            MeshSendStatus status = await SendIcmpv6Async(destination, Icmpv6Type.EchoRequest, 0, body, null, cancellationToken).ConfigureAwait(false);
            if (status != MeshSendStatus.Ok)
            {
                return new PingResult(false, null, status, sequence);
            }

            try
            {
                TimeSpan roundTrip = await reply.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(5), _timeProvider, cancellationToken).ConfigureAwait(false);
                return new PingResult(true, roundTrip, status, sequence);
            }
            catch (TimeoutException)
            {
                return new PingResult(false, null, status, sequence);
            }
        }
        finally
        {
            _pings.TryRemove(sequence, out _);
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public MeshCounters GetCounters() => new()
    {
        FramesIn = Interlocked.Read(ref _framesIn),
        FramesOut = Interlocked.Read(ref _framesOut),
        FramesFailed = Interlocked.Read(ref _framesFailed),
        Duplicates = Interlocked.Read(ref _duplicates),
        MacErrors = Snapshot<MacFrameError>(_macErrors),
        LowpanErrors = Snapshot<LowpanError>(_lowpanErrors),
        DatagramsIn = Interlocked.Read(ref _datagramsIn),
        DatagramsOut = Interlocked.Read(ref _datagramsOut),
        NotForUs = Interlocked.Read(ref _notForUs),
        NoSocket = Interlocked.Read(ref _noSocket),
        SocketOverflows = Interlocked.Read(ref _socketOverflows),
        EchoRepliesSent = Interlocked.Read(ref _echoReplies),
    };

    /// <summary>
    /// Handles one received frame (normally called by the receive loop; public so a caller can
    /// drive the interface without <see cref="Start"/>, e.g. from its own link loop).
    /// </summary>
    public void ProcessFrame(ReceivedFrame frame)
    {
        Interlocked.Increment(ref _framesIn);
        ReadOnlySpan<byte> mpdu = frame.Mpdu.Span;
        if (!MacFrameCodec.TryRead(mpdu, out MacFrame mac, out MacFrameError macError))
        {
            Interlocked.Increment(ref _macErrors[(int)macError]);
            MeshLog.FrameDropped(_logger, MacFrameFormatException.Describe(macError));
            return;
        }

        if (mac.Header.FrameType != MacFrameType.Data || mac.Payload.IsEmpty)
        {
            return;
        }

        MacAddress destination = mac.Header.Destination;
        if (destination.Mode != AddressingMode.None && !destination.IsBroadcast && destination != LocalMacAddress)
        {
            Interlocked.Increment(ref _notForUs);
            return;
        }

        if (!Neighbors.RecordReceived(mac.Header.Source, mac.Header.SequenceNumber, frame.Rssi, frame.Lqi))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        var link = new LinkAddresses(mac.Header.Source, destination);
        LowpanDispatchKind kind = LowpanDispatch.Classify(mac.Payload[0]);
        if (kind is LowpanDispatchKind.FirstFragment or LowpanDispatchKind.SubsequentFragment)
        {
            ReassemblyStatus status = _reassembler.Add(mac.Payload, link, Contexts, out byte[]? whole, out LowpanError fragmentError);
            if (status == ReassemblyStatus.Dropped)
            {
                CountLowpanError(fragmentError);
            }
            else if (whole is not null)
            {
                ProcessDatagram(whole, link.Source, frame);
            }

            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(WorkBufferSize);
        try
        {
            LowpanError error = LowpanCodec.TryDecode(mac.Payload, link, Contexts, buffer, out int length);
            if (error != LowpanError.None)
            {
                CountLowpanError(error);
                return;
            }

            ProcessDatagram(buffer.AsSpan(0, length), link.Source, frame);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Expected on shutdown.
            }
        }

        foreach (MeshUdpSocket socket in _sockets.Values)
        {
            socket.Dispose();
        }

        foreach ((long _, TaskCompletionSource<TimeSpan> reply) in _pings.Values)
        {
            reply.TrySetCanceled();
        }

        _reassembler.Dispose();
        _stopping.Dispose();
        _sendLock.Dispose();
    }

    internal void Unbind(MeshUdpSocket socket) => _sockets.TryRemove(new KeyValuePair<ushort, MeshUdpSocket>(socket.Port, socket));

    private static Dictionary<TEnum, long> Snapshot<TEnum>(long[] counters)
        where TEnum : struct, Enum
    {
        var result = new Dictionary<TEnum, long>();
        TEnum[] values = Enum.GetValues<TEnum>();
        for (int i = 1; i < counters.Length; i++)
        {
            long value = Interlocked.Read(ref counters[i]);
            if (value != 0)
            {
                result[values[i]] = value;
            }
        }

        return result;
    }

    private static MeshSendStatus ToSendStatus(FrameTransmitStatus status) => status switch
    {
        FrameTransmitStatus.Ok => MeshSendStatus.Ok,
        FrameTransmitStatus.NoAck => MeshSendStatus.NoAck,
        FrameTransmitStatus.ChannelAccessFailure => MeshSendStatus.ChannelAccessFailure,
        _ => MeshSendStatus.LinkFailed,
    };

    private bool TryResolve(Ipv6Address destination, out MeshRoute route)
    {
        if (destination.IsMulticast)
        {
            route = new MeshRoute(MacAddress.Broadcast);
            return true;
        }

        if (Router is { } router && router.TryGetRoute(destination, out route))
        {
            return true;
        }

        if (Neighbors.TryResolve(destination, out MacAddress mac))
        {
            route = new MeshRoute(mac);
            return true;
        }

        // Contiki nodes form addresses from their MAC address, so the IID names the next hop.
        if (destination.IsLinkLocal || _options.MeshPrefix.Contains(destination))
        {
            route = new MeshRoute(InterfaceIdentifier.ToMac(destination.Low));
            return true;
        }

        route = default;
        return false;
    }

    private async ValueTask<MeshSendStatus> SendFramesAsync(ReadOnlyMemory<byte> datagram, MacAddress nextHop, CancellationToken cancellationToken)
    {
        byte[] output = ArrayPool<byte>.Shared.Rent(LowpanCodec.MaxFramesPerDatagram * MacFrameCodec.MaxPhyPacketSize);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MacHeader mac = MacHeader.Data(_options.PanId, LocalMacAddress, nextHop, _sequenceNumber);
            LowpanError error = LowpanCodec.TryEncode(datagram.Span, mac, Contexts, _datagramTag, output, _frameRanges, out int count);
            if (error != LowpanError.None)
            {
                MeshLog.CannotEncode(_logger, datagram.Length, error);
                return MeshSendStatus.TooLarge;
            }

            _sequenceNumber = (byte)(_sequenceNumber + count);
            if (count > 1)
            {
                _datagramTag++;
            }

            for (int i = 0; i < count; i++)
            {
                FrameTransmitStatus status = await _link.SendFrameAsync(output.AsMemory(_frameRanges[i]), cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _framesOut);
                Neighbors.RecordTransmit(nextHop, status);
                if (status != FrameTransmitStatus.Ok)
                {
                    Interlocked.Increment(ref _framesFailed);
                    MeshLog.FrameFailed(_logger, i + 1, count, nextHop, status);
                    return ToSendStatus(status);
                }
            }

            Interlocked.Increment(ref _datagramsOut);
            return MeshSendStatus.Ok;
        }
        finally
        {
            _sendLock.Release();
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (ReceivedFrame frame in _link.ReceiveFramesAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    ProcessFrame(frame);
                }
#pragma warning disable CA1031 // One bad frame or handler must not stop the interface; it is logged.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    MeshLog.HandlerFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private void CountLowpanError(LowpanError error)
    {
        Interlocked.Increment(ref _lowpanErrors[(int)error]);
        MeshLog.PacketDropped(_logger, error);
    }

    private void ProcessDatagram(ReadOnlySpan<byte> datagram, MacAddress linkSource, ReceivedFrame frame)
    {
        if (!Ipv6Packet.TryParse(datagram, out Ipv6PacketInfo info, out LowpanError error))
        {
            CountLowpanError(error);
            return;
        }

        if (!IsLocalAddress(info.Header.Destination) || info.SegmentsLeft > 0)
        {
            Interlocked.Increment(ref _notForUs);
            return;
        }

        Interlocked.Increment(ref _datagramsIn);
        DatagramHeard?.Invoke(new HeardDatagram(info.Header.Source, info.FinalDestination, linkSource, info.RplOption, frame.Lqi));
        Ipv6Address source = info.Header.Source;
        if (!source.IsUnspecified && !source.IsMulticast && InterfaceIdentifier.ToMac(source.Low) != linkSource)
        {
            // An address whose IID does not name the sender (multi-hop or non-derived IID): remember the
            // neighbour that delivered it only for addresses that are on-link.
            if (source.IsLinkLocal)
            {
                Neighbors.LearnAddress(source, linkSource);
            }
        }

        ReadOnlySpan<byte> upper = datagram.Slice(info.UpperLayerOffset, info.UpperLayerLength);
        switch (info.UpperLayerProtocol)
        {
            case IpProtocol.Udp:
                DeliverUdp(info, upper, linkSource);
                break;
            case IpProtocol.Icmpv6:
                HandleIcmpv6(info, upper, linkSource, frame);
                break;
            default:
                CountLowpanError(LowpanError.UnsupportedNextHeaderCompression);
                break;
        }
    }

    private void DeliverUdp(Ipv6PacketInfo info, ReadOnlySpan<byte> udp, MacAddress linkSource)
    {
        if (!UdpHeader.TryRead(udp, out UdpHeader header) || header.Length != udp.Length)
        {
            CountLowpanError(LowpanError.Truncated);
            return;
        }

        if (!InternetChecksum.Verify(info.Header.Source, info.FinalDestination, IpProtocol.Udp, udp))
        {
            CountLowpanError(LowpanError.BadChecksum);
            return;
        }

        if (!_sockets.TryGetValue(header.DestinationPort, out MeshUdpSocket? socket))
        {
            Interlocked.Increment(ref _noSocket);
            return;
        }

        var datagram = new MeshUdpDatagram(info.Header.Source, header.SourcePort, info.Header.Destination, header.DestinationPort, udp[UdpHeader.Size..].ToArray(), linkSource);
        if (!socket.Deliver(datagram))
        {
            Interlocked.Increment(ref _socketOverflows);
        }
    }

    private void HandleIcmpv6(Ipv6PacketInfo info, ReadOnlySpan<byte> packet, MacAddress linkSource, ReceivedFrame frame)
    {
        if (!Icmpv6Message.TryRead(packet, info.Header.Source, info.FinalDestination, out Icmpv6Message message, out LowpanError error))
        {
            CountLowpanError(error);
            return;
        }

        switch (message.Type)
        {
            case Icmpv6Type.EchoRequest when _options.AnswerEchoRequests && !info.Header.Source.IsUnspecified:
                ReplyToEcho(info, message.Body.ToArray());
                break;
            case Icmpv6Type.EchoReply when message.EchoIdentifier == _echoIdentifier:
                if (_pings.TryRemove(message.EchoSequence, out (long Started, TaskCompletionSource<TimeSpan> Reply) ping))
                {
                    ping.Reply.TrySetResult(_timeProvider.GetElapsedTime(ping.Started));
                }

                break;
            default:
                if (_icmpHandlers.TryGetValue(message.Type, out Action<Icmpv6Received>? handler))
                {
                    handler(new Icmpv6Received(info, message.Type, message.Code, message.Body.ToArray(), linkSource, frame.Rssi, frame.Lqi));
                }

                break;
        }
    }

    private void ReplyToEcho(Ipv6PacketInfo info, byte[] body)
    {
        // Sent off the receive loop: the radio reports TX status through its own receive path, so
        // awaiting it here could stall reception.
        Ipv6Address requester = info.Header.Source;
        _ = Task.Run(async () =>
        {
            try
            {
                MeshSendStatus status = await SendIcmpv6Async(requester, Icmpv6Type.EchoReply, 0, body, null, _stopping.Token).ConfigureAwait(false);
                if (status == MeshSendStatus.Ok)
                {
                    Interlocked.Increment(ref _echoReplies);
                }
            }
            catch (OperationCanceledException)
            {
                // Shutting down.
            }
            catch (ObjectDisposedException)
            {
                // Shutting down.
            }
        });
    }
}
