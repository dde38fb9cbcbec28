using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Trickle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>
/// The DODAG root of the mesh (RFC 6550) in non-storing or storing mode: DIOs by Trickle to
/// ff02::1a, DIS answered, DAOs turned into downward routes (a child→parent graph and RFC 6554
/// source routes in non-storing mode, target→next hop in storing mode), DAO-ACKs, route lifetimes,
/// global repair, and a node table whose join/leave/route events the device layer follows.
/// </summary>
/// <remarks>
/// Thread-safe. Events are raised outside the internal lock, on the thread that caused them
/// (the receive loop or a timer); handlers must be quick or hand off (for example to a Channel).
/// </remarks>
public sealed partial class RplRoot : IRplRouter, IDisposable
{
    private readonly Lock _gate = new();
    private readonly RplRootOptions _options;
    private readonly TimeProvider _time;
    private readonly IRplMessageSink _sink;
    private readonly ILogger _logger;
    private readonly TrickleTimer _trickle;
    private readonly ITimer _expiryTimer;
    private readonly Dictionary<Ipv6Address, NodeState> _nodes = [];
    private readonly Dictionary<ulong, HeardNeighbour> _heardNeighbours = [];
    private readonly Ipv6Address _linkLocal;
    private DateTimeOffset _expiryScheduledFor = DateTimeOffset.MaxValue;
    private RplRootStatistics _stats = new();
    private byte _version;
    private byte _dtsn = RplConstants.LollipopInit;
    private bool _disposed;

    /// <summary>Creates a stopped root; call <see cref="Start"/>.</summary>
    /// <param name="options">Validated configuration.</param>
    /// <param name="sink">Where DIOs and DAO-ACKs go (the mesh interface).</param>
    /// <param name="timeProvider">Clock for Trickle and route lifetimes.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="random">Optional Trickle randomness (seed it in tests and simulations).</param>
    public RplRoot(RplRootOptions options, IRplMessageSink sink, TimeProvider? timeProvider = null, ILogger<RplRoot>? logger = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        options.Validate();
        _options = options;
        _sink = sink;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _version = options.InitialVersion;
        _linkLocal = options.EffectiveLinkLocal;
        _trickle = new TrickleTimer(options.Trickle, _time, SendMulticastDio, random);
        _expiryTimer = _time.CreateTimer(static state => ((RplRoot)state!).OnExpiryTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A node got its first downward route (or came back after leaving).</summary>
    public event EventHandler<RplNodeEventArgs>? NodeJoined;

    /// <summary>A node's route lapsed or was withdrawn: mark the device offline.</summary>
    public event EventHandler<RplNodeLeftEventArgs>? NodeLeft;

    /// <summary>A node's parent (non-storing) or next hop (storing) changed.</summary>
    public event EventHandler<RplNodeEventArgs>? RouteChanged;

    /// <summary>The configuration.</summary>
    public RplRootOptions Options => _options;

    /// <summary>Mode of operation advertised.</summary>
    public RplMode Mode => _options.Mode;

    /// <summary>The root's rank (MinHopRankIncrease).</summary>
    public ushort Rank => _options.RootRank;

    /// <summary>The DIO Trickle timer (intervals, transmissions, suppressions, resets) for diagnostics.</summary>
    public TrickleTimer Trickle => _trickle;

    /// <summary>The current DODAG version.</summary>
    public byte Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>The current DTSN.</summary>
    public byte Dtsn
    {
        get
        {
            lock (_gate)
            {
                return _dtsn;
            }
        }
    }

    /// <summary>Counters.</summary>
    public RplRootStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return _stats with { Nodes = _nodes.Count };
            }
        }
    }

    /// <inheritdoc />
    public RplHopByHopOption DownwardOption => new(Down: true, RankError: false, ForwardingError: false, _options.InstanceId, _options.RootRank);

    /// <summary>Starts DIO emission (first DIO within [Imin/2, Imin)).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _trickle.Start();
        RplRootLog.Started(_logger, _options.InstanceId, _options.DodagId, _options.Mode, Version, _options.Prefix);
    }

    /// <summary>Stops DIO emission (routes are kept and still expire).</summary>
    public void Stop() => _trickle.Stop();

    /// <summary>
    /// Global repair (<c>activegate mesh repair</c>): increments the DODAG version and the DTSN and
    /// resets Trickle, so every node re-joins and re-advertises its routes. Known routes are kept
    /// until refreshed or expired.
    /// </summary>
    public byte Repair()
    {
        byte version;
        lock (_gate)
        {
            _version = Lollipop.Increment(_version);
            _dtsn = Lollipop.Increment(_dtsn);
            _stats = _stats with { GlobalRepairs = _stats.GlobalRepairs + 1 };
            version = _version;
        }

        ResetTrickle();
        RplRootLog.GlobalRepair(_logger, version);
        return version;
    }

    /// <summary>Increments the DTSN so nodes send fresh DAOs (storing-mode nodes propagate it down).</summary>
    public void RequestDaoRefresh()
    {
        lock (_gate)
        {
            _dtsn = Lollipop.Increment(_dtsn);
        }

        ResetTrickle();
    }

    /// <summary>The DIO the root advertises now.</summary>
    public RplDio BuildDio()
    {
        lock (_gate)
        {
            return new RplDio
            {
                InstanceId = _options.InstanceId,
                Version = _version,
                Rank = _options.RootRank,
                Grounded = _options.Grounded,
                Mode = _options.Mode,
                Preference = _options.Preference,
                Dtsn = _dtsn,
                DodagId = _options.DodagId,
                Options = [_options.ToDodagConfiguration(), _options.ToPrefixInformation()],
            };
        }
    }

    /// <summary>Snapshot of every node in the table.</summary>
    public IReadOnlyList<RplNodeInfo> GetNodes()
    {
        lock (_gate)
        {
            var list = new List<RplNodeInfo>(_nodes.Count);
            foreach (NodeState node in _nodes.Values)
            {
                list.Add(Snapshot(node));
            }

            return list;
        }
    }

    /// <summary>Snapshot of one node.</summary>
    public bool TryGetNode(Ipv6Address address, out RplNodeInfo? node)
    {
        lock (_gate)
        {
            node = _nodes.TryGetValue(Normalize(address), out NodeState? state) ? Snapshot(state) : null;
            return node is not null;
        }
    }

    /// <inheritdoc />
    public bool HandleIcmp(in RplReceiveContext context, ReadOnlySpan<byte> icmpv6Message)
    {
        if (!RplMessageCodec.TryRead(icmpv6Message, out RplMessage? message, out RplFormatError error))
        {
            lock (_gate)
            {
                _stats = _stats with { Malformed = _stats.Malformed + 1 };
            }

            RplRootLog.Malformed(_logger, context.Source, error);
            return false;
        }

        return message switch
        {
            RplDis dis => HandleDis(context, dis),
            RplDio dio => HandleDio(context, dio),
            RplDao dao => HandleDao(context, dao),
            RplDaoAck => true, // The root sends DAOs to nobody, so acknowledgements are not expected.
            _ => false,
        };
    }

    /// <inheritdoc />
    public void NoteHeard(in RplReceiveContext context)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(Normalize(context.Source), out NodeState? node))
            {
                return;
            }

            node.LastHeard = _time.GetUtcNow();
            if (IsOneHop(context))
            {
                // SenderRank is rewritten by every forwarder, so it is the origin's rank only one hop away.
                if (context.HopByHop is { } hbh && hbh.InstanceId == _options.InstanceId)
                {
                    node.Rank = hbh.SenderRank;
                }

                node.LinkQuality = context.LinkQuality ?? node.LinkQuality;
            }
        }
    }

    /// <inheritdoc />
    public bool TryGetNextHop(Ipv6Address destination, out Ipv6Address nextHop)
    {
        nextHop = default;
        if (destination.IsLinkLocal)
        {
            nextHop = destination;
            return true;
        }

        lock (_gate)
        {
            if (_options.Mode == RplMode.Storing)
            {
                if (_nodes.TryGetValue(destination, out NodeState? node) && node.NextHop is { } hop)
                {
                    nextHop = hop;
                    return true;
                }

                return false;
            }

            Span<Ipv6Address> via = stackalloc Ipv6Address[_options.MaxPathLength];
            if (!TryComputePath(destination, via, out int count))
            {
                return false;
            }

            nextHop = count > 0 ? via[0] : destination;
            return true;
        }
    }

    /// <inheritdoc />
    public bool TryGetSourceRoute(Ipv6Address destination, Span<Ipv6Address> via, out int viaCount)
    {
        viaCount = 0;
        lock (_gate)
        {
            if (_options.Mode == RplMode.Storing)
            {
                // Storing mode: hop-by-hop next hops, never an SRH.
                return _nodes.TryGetValue(destination, out NodeState? node) && node.NextHop is not null;
            }

            return TryComputePath(destination, via, out viaCount);
        }
    }

    /// <summary>The source route as a list (allocates; for diagnostics and the CLI).</summary>
    public IReadOnlyList<Ipv6Address>? GetSourceRoute(Ipv6Address destination)
    {
        Span<Ipv6Address> via = stackalloc Ipv6Address[_options.MaxPathLength];
        return TryGetSourceRoute(destination, via, out int count) ? via[..count].ToArray() : null;
    }

    /// <summary>
    /// Writes the RFC 6554 routing header for a packet to <paramref name="destination"/>; the IPv6
    /// destination field must become <paramref name="firstHop"/>. Writes nothing (0 bytes) for direct
    /// children and in storing mode. False when no route exists or the buffer is too small.
    /// </summary>
    public bool TryWriteRoutingHeader(byte nextHeader, Ipv6Address destination, Span<byte> output, out Ipv6Address firstHop, out int bytesWritten)
    {
        bytesWritten = 0;
        firstHop = destination;
        Span<Ipv6Address> via = stackalloc Ipv6Address[_options.MaxPathLength];
        if (!TryGetSourceRoute(destination, via, out int count))
        {
            return false;
        }

        if (count == 0)
        {
            return true;
        }

        Span<Ipv6Address> hops = stackalloc Ipv6Address[count];
        via[1..count].CopyTo(hops);
        hops[^1] = destination;
        firstHop = via[0];
        return RplSourceRoutingHeader.TryWrite(nextHeader, firstHop, hops, output, out bytesWritten);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _trickle.Dispose();
        _expiryTimer.Dispose();
    }

    // Already at Imin means the next DIO is at most Imin away: nothing to shorten.
    private void ResetTrickle() => _trickle.Inconsistent();

    private void SendMulticastDio() => SendDio(Ipv6Address.AllRplNodes, multicast: true);

    private void SendDio(Ipv6Address destination, bool multicast)
    {
        RplDio dio = BuildDio();
        byte[] bytes = RplMessageCodec.Encode(dio, _linkLocal, destination);
        lock (_gate)
        {
            _stats = multicast
                ? _stats with { MulticastDiosSent = _stats.MulticastDiosSent + 1 }
                : _stats with { UnicastDiosSent = _stats.UnicastDiosSent + 1 };
        }

        _sink.Send(new RplOutgoingMessage(_linkLocal, destination, bytes));
    }

    private bool HandleDis(in RplReceiveContext context, RplDis dis)
    {
        lock (_gate)
        {
            _stats = _stats with { DisReceived = _stats.DisReceived + 1 };
            if (dis.FindOption<SolicitedInformationOption>() is { } predicate
                && ((predicate.InstancePredicate && predicate.InstanceId != _options.InstanceId)
                    || (predicate.DodagIdPredicate && predicate.DodagId != _options.DodagId)
                    || (predicate.VersionPredicate && predicate.Version != _version)))
            {
                return true;
            }

            TouchByAddress(context.Source);
        }

        if (context.Destination.IsMulticast)
        {
            // RFC 6550 §8.3: a multicast DIS is an external Trickle event.
            _trickle.Inconsistent();
        }
        else
        {
            SendDio(context.Source, multicast: false);
        }

        return true;
    }

    private bool HandleDio(in RplReceiveContext context, RplDio dio)
    {
        bool inconsistent = false;
        bool consistent = false;
        lock (_gate)
        {
            _stats = _stats with { DiosReceived = _stats.DiosReceived + 1 };
            if (dio.InstanceId != _options.InstanceId || dio.DodagId != _options.DodagId)
            {
                return true;
            }

            DateTimeOffset now = _time.GetUtcNow();
            ulong iid = context.Source.Low;
            if (_nodes.TryGetValue(Normalize(context.Source), out NodeState? node))
            {
                node.Rank = dio.Rank;
                node.LastHeard = now;
            }
            else
            {
                if (_heardNeighbours.Count < _options.MaxNodes || _heardNeighbours.ContainsKey(iid))
                {
                    _heardNeighbours[iid] = new HeardNeighbour(dio.Rank, now);
                }
            }

            if (dio.Version != _version)
            {
                inconsistent = true;
            }
            else if (dio.Rank != RplConstants.InfiniteRank)
            {
                consistent = true;
            }
        }

        if (inconsistent)
        {
            _trickle.Inconsistent();
        }
        else if (consistent)
        {
            _trickle.Consistent();
        }

        return true;
    }

    private void OnExpiryTimer()
    {
        var left = new List<RplNodeInfo>();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            DateTimeOffset now = _time.GetUtcNow();
            _expiryScheduledFor = DateTimeOffset.MaxValue;
            DateTimeOffset next = DateTimeOffset.MaxValue;
            List<Ipv6Address>? expired = null;
            foreach (NodeState node in _nodes.Values)
            {
                if (node.ExpiresAt is not { } expires)
                {
                    continue;
                }

                if (expires <= now)
                {
                    (expired ??= []).Add(node.Address);
                }
                else if (expires < next)
                {
                    next = expires;
                }
            }

            if (expired is not null)
            {
                foreach (Ipv6Address address in expired)
                {
                    left.Add(Snapshot(_nodes[address]));
                    _nodes.Remove(address);
                }

                _stats = _stats with { Expired = _stats.Expired + expired.Count };
            }

            ScheduleExpiry(next, now);
        }

        foreach (RplNodeInfo node in left)
        {
            RplRootLog.NodeLeft(_logger, node.Address, RplNodeLeftReason.Expired);
            NodeLeft?.Invoke(this, new RplNodeLeftEventArgs(node, RplNodeLeftReason.Expired));
        }
    }

    // Caller holds _gate.
    private void ScheduleExpiry(DateTimeOffset when, DateTimeOffset now)
    {
        if (when == DateTimeOffset.MaxValue || when >= _expiryScheduledFor)
        {
            return;
        }

        _expiryScheduledFor = when;
        TimeSpan due = when - now;
        _expiryTimer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    // Caller holds _gate. Walks child→parent links from the target up to the root; via receives the
    // hops root-side first, excluding the root and the target.
    private bool TryComputePath(Ipv6Address target, Span<Ipv6Address> via, out int count)
    {
        count = 0;
        int limit = Math.Min(_options.MaxPathLength, 64);
        Span<Ipv6Address> chain = stackalloc Ipv6Address[limit];
        int depth = 0;
        Ipv6Address current = target;
        while (true)
        {
            if (!_nodes.TryGetValue(current, out NodeState? node) || node.Parent is not { } parent)
            {
                return false;
            }

            if (IsRoot(parent))
            {
                break;
            }

            if (depth == limit - 1 || parent == target)
            {
                return false; // A loop or a path longer than MaxPathLength.
            }

            chain[depth++] = parent;
            current = parent;
        }

        if (via.Length < depth)
        {
            return false;
        }

        for (int i = 0; i < depth; i++)
        {
            via[i] = chain[depth - 1 - i];
        }

        count = depth;
        return true;
    }

    private bool IsRoot(Ipv6Address address) => address == _options.DodagId || address == _linkLocal;

    // Link-local forms of node addresses map to the mesh prefix (nodes autoconfigure prefix ‖ IID).
    private Ipv6Address Normalize(Ipv6Address address) =>
        address.IsLinkLocal ? _options.Prefix.Overlay(address) : address;

    private static bool IsOneHop(in RplReceiveContext context) =>
        context.LinkSource.Mode != Ieee802154.AddressingMode.None
        && InterfaceIdentifier.FromMac(context.LinkSource) == context.Source.Low;

    // Caller holds _gate.
    private void TouchByAddress(Ipv6Address address)
    {
        if (_nodes.TryGetValue(Normalize(address), out NodeState? node))
        {
            node.LastHeard = _time.GetUtcNow();
        }
    }

    // Caller holds _gate.
    private RplNodeInfo Snapshot(NodeState node)
    {
        int? hops = null;
        Ipv6Address? nextHop = node.NextHop;
        bool reachable;
        if (_options.Mode == RplMode.NonStoring)
        {
            Span<Ipv6Address> via = stackalloc Ipv6Address[_options.MaxPathLength];
            reachable = TryComputePath(node.Address, via, out int count);
            if (reachable)
            {
                hops = count + 1;
                nextHop = count > 0 ? via[0] : node.Address;
            }
        }
        else
        {
            reachable = node.NextHop is not null;
            if (node.NextHop is { } hop && hop.Low == node.Address.Low)
            {
                hops = 1;
            }
            else if (node.Rank is { } rank && rank != RplConstants.InfiniteRank)
            {
                // MRHOF with ETX ≈ 1 adds MinHopRankIncrease per hop above the root's rank: an estimate.
                hops = Math.Max(1, (rank / _options.MinHopRankIncrease) - 1);
            }
        }

        return new RplNodeInfo
        {
            Address = node.Address,
            Parent = node.Parent,
            NextHop = nextHop,
            Rank = node.Rank,
            HopCount = hops,
            LinkQuality = node.LinkQuality,
            JoinedAt = node.JoinedAt,
            LastHeard = node.LastHeard,
            LastDao = node.LastDao,
            PathLifetime = node.PathLifetime,
            ExpiresAt = node.ExpiresAt,
            PathSequence = node.PathSequence,
            DaoCount = node.DaoCount,
            Reachable = reachable,
        };
    }

    private sealed class NodeState(Ipv6Address address, DateTimeOffset joinedAt)
    {
        public Ipv6Address Address { get; } = address;

        public Ipv6Address? Parent { get; set; }

        public Ipv6Address? NextHop { get; set; }

        public ushort? Rank { get; set; }

        public byte? LinkQuality { get; set; }

        public DateTimeOffset JoinedAt { get; } = joinedAt;

        public DateTimeOffset LastHeard { get; set; } = joinedAt;

        public DateTimeOffset LastDao { get; set; } = joinedAt;

        public TimeSpan? PathLifetime { get; set; }

        public DateTimeOffset? ExpiresAt { get; set; }

        public byte PathSequence { get; set; }

        public long DaoCount { get; set; }
    }

    private readonly record struct HeardNeighbour(ushort Rank, DateTimeOffset At);
}

/// <summary>Counters of the root (for <c>activegate mesh</c>).</summary>
public sealed record RplRootStatistics
{
    /// <summary>Nodes in the table.</summary>
    public int Nodes { get; init; }

    /// <summary>Trickle DIOs sent to ff02::1a.</summary>
    public long MulticastDiosSent { get; init; }

    /// <summary>DIOs sent in answer to a unicast DIS.</summary>
    public long UnicastDiosSent { get; init; }

    /// <summary>DIOs heard from nodes.</summary>
    public long DiosReceived { get; init; }

    /// <summary>DIS received.</summary>
    public long DisReceived { get; init; }

    /// <summary>DAOs received.</summary>
    public long DaosReceived { get; init; }

    /// <summary>DAOs whose Transit option carried a parent address (non-storing format).</summary>
    public long DaosWithParent { get; init; }

    /// <summary>DAOs whose Transit option had no parent address (storing format).</summary>
    public long DaosWithoutParent { get; init; }

    /// <summary>No-Path DAOs.</summary>
    public long NoPathDaos { get; init; }

    /// <summary>DAOs dropped (other instance or DODAG, stale, table full).</summary>
    public long DaosRejected { get; init; }

    /// <summary>DAO-ACKs sent.</summary>
    public long DaoAcksSent { get; init; }

    /// <summary>Routes that lapsed.</summary>
    public long Expired { get; init; }

    /// <summary>Malformed RPL messages.</summary>
    public long Malformed { get; init; }

    /// <summary>Global repairs.</summary>
    public long GlobalRepairs { get; init; }
}
