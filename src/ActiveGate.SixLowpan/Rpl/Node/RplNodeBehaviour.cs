using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.SixLowpan.Rpl.Trickle;

namespace ActiveGate.SixLowpan.Rpl.Node;

/// <summary>
/// A transport-independent model of a Contiki-like RPL router node, for the device simulator:
/// it joins on a DIO with its MOP and OCP 1, picks its preferred parent MRHOF-style (lowest
/// parent rank + link ETX, with hysteresis), emits DIOs by Trickle, answers DIS, sends DAOs
/// (non-storing: to the DODAG id with the parent address; storing: to the parent, which stores
/// the route and forwards the DAO up), retransmits until DAO-ACK when asked to, refreshes before
/// the path lifetime ends, follows global repairs, and decides where a datagram goes next.
/// </summary>
/// <remarks>The host delivers received ICMPv6 type 155 to <see cref="HandleIcmp"/> and sends what
/// appears on the <see cref="IRplMessageSink"/>; it routes non-link-local destinations (DAOs to the
/// root) with <see cref="TryGetNextHop"/>. Thread-safe.</remarks>
public sealed class RplNodeBehaviour : IDisposable
{
    private readonly Lock _gate = new();
    private readonly RplNodeOptions _options;
    private readonly IRplMessageSink _sink;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ITimer _daoTimer;
    private readonly ITimer _disTimer;
    private readonly Dictionary<Ipv6Address, Neighbour> _neighbours = [];
    private readonly Dictionary<Ipv6Address, StoredRoute> _routes = [];
    private TrickleTimer? _trickle;
    private DodagConfigurationOption? _config;
    private PrefixInformationOption? _prefixInfo;
    private byte _daoSequence = RplConstants.LollipopInit;
    private byte _pathSequence = RplConstants.LollipopInit;
    private byte _dtsn = RplConstants.LollipopInit;
    private byte _parentDtsn;
    private int _daoRetransmissions;
    private bool _awaitingAck;
    private bool _disposed;

    /// <summary>Creates a detached node; call <see cref="Start"/>.</summary>
    public RplNodeBehaviour(RplNodeOptions options, IRplMessageSink sink, TimeProvider timeProvider, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _sink = sink;
        _time = timeProvider;
        _random = random ?? Random.Shared;
        LinkLocalAddress = Ipv6Address.LinkLocal(options.Mac);
        _daoTimer = _time.CreateTimer(static s => ((RplNodeBehaviour)s!).OnDaoTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _disTimer = _time.CreateTimer(static s => ((RplNodeBehaviour)s!).OnDisTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The node's preferred parent changed (or it joined: previous is null).</summary>
    public event EventHandler<RplParentChangedEventArgs>? ParentChanged;

    /// <summary>fe80:: + IID.</summary>
    public Ipv6Address LinkLocalAddress { get; }

    /// <summary>Prefix ‖ IID once joined (from the DIO's Prefix Information), else unspecified.</summary>
    public Ipv6Address GlobalAddress { get; private set; }

    /// <summary>True once a DODAG was joined.</summary>
    public bool IsJoined { get; private set; }

    /// <summary>The DODAG id (root's address) once joined.</summary>
    public Ipv6Address DodagId { get; private set; }

    /// <summary>The instance joined.</summary>
    public byte InstanceId { get; private set; }

    /// <summary>The DODAG version followed.</summary>
    public byte Version { get; private set; }

    /// <summary>This node's rank (infinite when detached).</summary>
    public ushort Rank { get; private set; } = RplConstants.InfiniteRank;

    /// <summary>The preferred parent (link-local), when joined.</summary>
    public Ipv6Address? PreferredParent { get; private set; }

    /// <summary>True when the last DAO was acknowledged (or no acknowledgement was asked).</summary>
    public bool DaoAcknowledged { get; private set; }

    /// <summary>DAOs sent (including retransmissions and storing-mode forwards).</summary>
    public long DaosSent { get; private set; }

    /// <summary>The link metric towards a neighbour as ETX × 128 (128 = perfect link). Defaults to perfect.</summary>
    public Func<Ipv6Address, ushort>? LinkMetric { get; set; }

    /// <summary>The Hop-by-Hop RPL option to put on upward datagrams.</summary>
    public RplHopByHopOption UpwardOption => new(Down: false, RankError: false, ForwardingError: false, InstanceId, Rank);

    /// <summary>Starts soliciting DIOs (a multicast DIS after a fifth of the DIS interval, then every interval until joined).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _disTimer.Change(_options.DisInterval / 5 * (0.5 + _random.NextDouble()), _options.DisInterval);
        }
    }

    /// <summary>Processes an ICMPv6 RPL message addressed to (or multicast at) this node.</summary>
    public bool HandleIcmp(in RplReceiveContext context, ReadOnlySpan<byte> icmpv6Message)
    {
        if (!RplMessageCodec.TryRead(icmpv6Message, out RplMessage? message, out _))
        {
            return false;
        }

        switch (message)
        {
            case RplDio dio:
                HandleDio(context, dio);
                return true;
            case RplDis:
                HandleDis(context);
                return true;
            case RplDao dao:
                return HandleDao(context, dao);
            case RplDaoAck ack:
                HandleDaoAck(ack);
                return true;
            default:
                return false;
        }
    }

    /// <summary>True for this node's own addresses.</summary>
    public bool IsLocal(Ipv6Address address) => address == LinkLocalAddress || (!GlobalAddress.IsUnspecified && address == GlobalAddress);

    /// <summary>
    /// Where a datagram for <paramref name="destination"/> goes next from this node (not for packets
    /// carrying an SRH: use <see cref="TryFollowSourceRoute"/>): on-link for link-local, a stored
    /// child route in storing mode, else up to the preferred parent.
    /// </summary>
    public bool TryGetNextHop(Ipv6Address destination, out Ipv6Address nextHop)
    {
        lock (_gate)
        {
            nextHop = default;
            if (destination.IsLinkLocal)
            {
                nextHop = destination;
                return true;
            }

            if (_routes.TryGetValue(destination, out StoredRoute route) && route.ExpiresAt > _time.GetUtcNow())
            {
                nextHop = route.NextHop;
                return true;
            }

            if (PreferredParent is { } parent)
            {
                nextHop = parent;
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// RFC 6554 §4.2 at an intermediate node: with the packet's SRH and its current IPv6 destination
    /// (this node), yields the next destination (Addresses[i], i = n − SegmentsLeft + 1) and the
    /// decremented Segments Left. The host writes both into the packet. False when no segment is left
    /// (this node is the final destination) or the header is malformed.
    /// </summary>
    public static bool TryFollowSourceRoute(ReadOnlySpan<byte> routingHeader, Ipv6Address currentDestination, out Ipv6Address nextDestination, out int segmentsLeftAfter)
    {
        nextDestination = default;
        segmentsLeftAfter = 0;
        Span<Ipv6Address> addresses = stackalloc Ipv6Address[64];
        if (!RplSourceRoutingHeader.TryRead(routingHeader, currentDestination, addresses, out int count, out int segmentsLeft) || segmentsLeft == 0)
        {
            return false;
        }

        nextDestination = addresses[count - segmentsLeft];
        segmentsLeftAfter = segmentsLeft - 1;
        return !nextDestination.IsMulticast;
    }

    /// <summary>Number of downward routes stored (storing mode).</summary>
    public int StoredRouteCount
    {
        get
        {
            lock (_gate)
            {
                return _routes.Count;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _trickle?.Dispose();
        _daoTimer.Dispose();
        _disTimer.Dispose();
    }

    private void HandleDio(in RplReceiveContext context, RplDio dio)
    {
        ParentChangeNotice? notice = null;
        bool reset = false;
        bool consistent = false;
        lock (_gate)
        {
            if (_disposed || dio.Mode != _options.Mode)
            {
                return; // Contiki: "Ignoring a DIO with an unsupported MOP".
            }

            DodagConfigurationOption? config = dio.FindOption<DodagConfigurationOption>();
            if (!IsJoined)
            {
                if (config is null || config.ObjectiveCodePoint != RplConstants.OcpMrhof || dio.Rank == RplConstants.InfiniteRank)
                {
                    return;
                }

                Join(dio, config);
            }
            else if (dio.InstanceId != InstanceId || dio.DodagId != DodagId)
            {
                return;
            }

            if (Lollipop.IsNewer(dio.Version, Version))
            {
                // Global repair: follow the new version; neighbours on the old one no longer count.
                Version = dio.Version;
                _neighbours.Clear();
                PreferredParent = null;
                Rank = RplConstants.InfiniteRank;
                reset = true;
            }
            else if (dio.Version != Version)
            {
                reset = true; // The sender is behind: tell it quickly.
                return;
            }

            if (config is not null)
            {
                _config = config;
            }

            _prefixInfo = dio.FindOption<PrefixInformationOption>() ?? _prefixInfo;
            _neighbours[context.Source] = new Neighbour(dio.Rank, dio.Dtsn);
            consistent = dio.Rank != RplConstants.InfiniteRank && dio.Rank >= Rank;
            notice = SelectParent();
            if (PreferredParent == context.Source && Lollipop.IsNewer(dio.Dtsn, _parentDtsn))
            {
                _parentDtsn = dio.Dtsn;
                if (_options.Mode == RplMode.Storing)
                {
                    _dtsn = Lollipop.Increment(_dtsn); // Ask our own children too.
                }

                ScheduleDao();
            }
            else if (PreferredParent == context.Source)
            {
                _parentDtsn = dio.Dtsn;
            }
        }

        if (reset || notice is not null)
        {
            _trickle?.Inconsistent();
        }
        else if (consistent)
        {
            _trickle?.Consistent();
        }

        if (notice is { } n)
        {
            ParentChanged?.Invoke(this, new RplParentChangedEventArgs(n.Previous, n.Current, n.Rank));
        }
    }

    // Caller holds _gate.
    private void Join(RplDio dio, DodagConfigurationOption config)
    {
        IsJoined = true;
        InstanceId = dio.InstanceId;
        DodagId = dio.DodagId;
        Version = dio.Version;
        _config = config;
        PrefixInformationOption? pio = dio.FindOption<PrefixInformationOption>();
        Ipv6Prefix prefix = pio is { Autonomous: true } ? pio.Prefix : new Ipv6Prefix(dio.DodagId, 64);
        GlobalAddress = Ipv6Address.FromPrefix(prefix, _options.Mac);
        _disTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _trickle = new TrickleTimer(TrickleParameters.FromDio(config.DioIntervalMin, config.DioIntervalDoublings, config.DioRedundancyConstant), _time, SendMulticastDio, _random);
        _trickle.Start();
    }

    // Caller holds _gate. MRHOF-like: rank through a neighbour = its rank + max(MinHopRankIncrease, ETX×128).
    private ParentChangeNotice? SelectParent()
    {
        ushort minHop = _config?.MinHopRankIncrease ?? 256;
        Ipv6Address? best = null;
        int bestRank = int.MaxValue;
        int currentRankViaParent = int.MaxValue;
        foreach ((Ipv6Address address, Neighbour neighbour) in _neighbours)
        {
            if (neighbour.Rank == RplConstants.InfiniteRank)
            {
                continue;
            }

            int rankVia = neighbour.Rank + Math.Max(minHop, (int)(LinkMetric?.Invoke(address) ?? 128));
            if (address == PreferredParent)
            {
                currentRankViaParent = rankVia;
            }

            if (rankVia < bestRank)
            {
                bestRank = rankVia;
                best = address;
            }
        }

        if (best is null || bestRank >= RplConstants.InfiniteRank)
        {
            return null;
        }

        Ipv6Address? previous = PreferredParent;
        bool switchParent = previous is null
            || currentRankViaParent == int.MaxValue
            || (best != previous && bestRank + _options.ParentSwitchThreshold < currentRankViaParent);
        if (!switchParent)
        {
            Rank = (ushort)currentRankViaParent;
            return null;
        }

        if (previous is { } old && _options.Mode == RplMode.Storing && old != best)
        {
            SendNoPathTo(old); // Contiki 3.0 withdraws the route through the old parent.
        }

        PreferredParent = best;
        Rank = (ushort)bestRank;
        _parentDtsn = _neighbours[best.Value].Dtsn;
        ScheduleDao();
        return new ParentChangeNotice(previous, best.Value, Rank);
    }

    private void HandleDis(in RplReceiveContext context)
    {
        lock (_gate)
        {
            if (!IsJoined || Rank == RplConstants.InfiniteRank)
            {
                return;
            }
        }

        if (context.Destination.IsMulticast)
        {
            _trickle?.Inconsistent();
        }
        else
        {
            SendDio(context.Source);
        }
    }

    // Storing mode only: a child's DAO. Store the route through it and pass the DAO up.
    private bool HandleDao(in RplReceiveContext context, RplDao dao)
    {
        RplMessage? forward = null;
        Ipv6Address parent;
        lock (_gate)
        {
            if (_options.Mode != RplMode.Storing || !IsJoined || PreferredParent is not { } p || dao.InstanceId != InstanceId)
            {
                return false;
            }

            parent = p;
            DateTimeOffset now = _time.GetUtcNow();
            ushort unit = _config?.LifetimeUnit ?? 60;
            RplTargetOption? target = null;
            foreach (RplOption option in dao.Options)
            {
                if (option is RplTargetOption t)
                {
                    target = t;
                }
                else if (option is TransitInformationOption transit && target is not null)
                {
                    Ipv6Address address = target.Target.Address;
                    if (transit.PathLifetime == 0)
                    {
                        if (_routes.TryGetValue(address, out StoredRoute existing) && existing.NextHop == context.Source)
                        {
                            _routes.Remove(address);
                        }
                    }
                    else if (_routes.Count < _options.MaxRoutes || _routes.ContainsKey(address))
                    {
                        DateTimeOffset expires = transit.PathLifetime == RplConstants.InfiniteLifetime
                            ? DateTimeOffset.MaxValue
                            : now + TimeSpan.FromSeconds(transit.PathLifetime * (double)unit);
                        _routes[address] = new StoredRoute(context.Source, expires);
                    }
                }
            }

            _daoSequence = Lollipop.Increment(_daoSequence);
            forward = dao with { Sequence = _daoSequence, AckRequested = false, DodagId = null };
            DaosSent++;
        }

        SendTo(forward, LinkLocalAddress, parent);
        return true;
    }

    private void HandleDaoAck(RplDaoAck ack)
    {
        lock (_gate)
        {
            if (_awaitingAck && ack.Sequence == _daoSequence)
            {
                _awaitingAck = false;
                DaoAcknowledged = ack.Status < 128;
                ScheduleRefresh();
            }
        }
    }

    private void OnDisTimer()
    {
        lock (_gate)
        {
            if (_disposed || IsJoined)
            {
                return;
            }
        }

        SendTo(new RplDis(), LinkLocalAddress, Ipv6Address.AllRplNodes);
    }

    // Caller holds _gate.
    private void ScheduleDao()
    {
        _daoRetransmissions = 0;
        _awaitingAck = false;
        _daoTimer.Change(_options.DaoDelay * (0.5 + _random.NextDouble()), Timeout.InfiniteTimeSpan);
    }

    // Caller holds _gate. Refresh at half the path lifetime (never for infinite lifetimes).
    private void ScheduleRefresh()
    {
        if (_config is null || _config.DefaultLifetime == RplConstants.InfiniteLifetime)
        {
            return;
        }

        TimeSpan lifetime = TimeSpan.FromSeconds(_config.DefaultLifetime * (double)_config.LifetimeUnit);
        _daoTimer.Change(lifetime / 2 * (0.9 + (0.2 * _random.NextDouble())), Timeout.InfiniteTimeSpan);
    }

    private void OnDaoTimer()
    {
        RplDao dao;
        Ipv6Address source;
        Ipv6Address destination;
        lock (_gate)
        {
            if (_disposed || PreferredParent is not { } parent || _config is null)
            {
                return;
            }

            if (_awaitingAck)
            {
                if (_daoRetransmissions >= _options.DaoMaxRetransmissions)
                {
                    // RPL-Lite would now do a local repair; here the next refresh tries again.
                    _awaitingAck = false;
                    ScheduleRefresh();
                    return;
                }

                _daoRetransmissions++;
            }
            else
            {
                _daoSequence = Lollipop.Increment(_daoSequence);
                _pathSequence = Lollipop.Increment(_pathSequence);
            }

            bool nonStoring = _options.Mode == RplMode.NonStoring;
            dao = new RplDao
            {
                InstanceId = InstanceId,
                AckRequested = _options.RequestDaoAck,
                Sequence = _daoSequence,
                Options =
                [
                    RplTargetOption.ForAddress(GlobalAddress),
                    new TransitInformationOption
                    {
                        PathSequence = _pathSequence,
                        PathLifetime = _config.DefaultLifetime,

                        // RPL-Lite: parent = DODAG prefix ‖ IID of the parent's link-local address.
                        ParentAddress = nonStoring ? new Ipv6Address(GlobalAddress.High, parent.Low) : null,
                    },
                ],
            };
            source = nonStoring ? GlobalAddress : LinkLocalAddress;
            destination = nonStoring ? DodagId : parent;
            DaosSent++;
            if (_options.RequestDaoAck)
            {
                _awaitingAck = true;
                DaoAcknowledged = false;
                _daoTimer.Change(_options.DaoAckTimeout, Timeout.InfiniteTimeSpan);
            }
            else
            {
                DaoAcknowledged = true;
                ScheduleRefresh();
            }
        }

        SendTo(dao, source, destination);
    }

    // Caller holds _gate.
    private void SendNoPathTo(Ipv6Address oldParent)
    {
        if (_config is null || GlobalAddress.IsUnspecified)
        {
            return;
        }

        _daoSequence = Lollipop.Increment(_daoSequence);
        var noPath = new RplDao
        {
            InstanceId = InstanceId,
            Sequence = _daoSequence,
            Options = [RplTargetOption.ForAddress(GlobalAddress), new TransitInformationOption { PathSequence = _pathSequence, PathLifetime = 0 }],
        };
        DaosSent++;
        SendTo(noPath, LinkLocalAddress, oldParent);
    }

    private void SendMulticastDio() => SendDio(Ipv6Address.AllRplNodes);

    private void SendDio(Ipv6Address destination)
    {
        RplDio dio;
        lock (_gate)
        {
            if (_disposed || !IsJoined || Rank == RplConstants.InfiniteRank || _config is null)
            {
                return;
            }

            var options = new List<RplOption> { _config };
            if (_prefixInfo is not null)
            {
                options.Add(_prefixInfo);
            }

            dio = new RplDio
            {
                InstanceId = InstanceId,
                Version = Version,
                Rank = Rank,
                Grounded = true,
                Mode = _options.Mode,
                Dtsn = _dtsn,
                DodagId = DodagId,
                Options = options,
            };
        }

        SendTo(dio, LinkLocalAddress, destination);
    }

    private void SendTo(RplMessage message, Ipv6Address source, Ipv6Address destination) =>
        _sink.Send(new RplOutgoingMessage(source, destination, RplMessageCodec.Encode(message, source, destination)));

    private readonly record struct Neighbour(ushort Rank, byte Dtsn);

    private readonly record struct StoredRoute(Ipv6Address NextHop, DateTimeOffset ExpiresAt);

    private readonly record struct ParentChangeNotice(Ipv6Address? Previous, Ipv6Address Current, ushort Rank);
}

/// <summary>Event data of <see cref="RplNodeBehaviour.ParentChanged"/>.</summary>
public sealed class RplParentChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public RplParentChangedEventArgs(Ipv6Address? previous, Ipv6Address current, ushort rank)
    {
        Previous = previous;
        Current = current;
        Rank = rank;
    }

    /// <summary>The former parent (null on join).</summary>
    public Ipv6Address? Previous { get; }

    /// <summary>The new parent (link-local).</summary>
    public Ipv6Address Current { get; }

    /// <summary>The node's rank through it.</summary>
    public ushort Rank { get; }
}
