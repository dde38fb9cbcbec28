using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Node;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Rpl.Node;

public sealed class RplNodeBehaviourTests : IDisposable
{
    private static readonly MacAddress s_mac = MacAddress.FromExtended(0x0012_4B00_0000_0042);
    private static readonly Ipv6Address s_root = RplTestMesh.RootLinkLocal;
    private static readonly Ipv6Address s_a = RplTestMesh.LinkLocal(1);
    private static readonly Ipv6Address s_b = RplTestMesh.LinkLocal(2);
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingSink _sink = new();
    private readonly List<RplParentChangedEventArgs> _changes = [];
    private RplNodeBehaviour? _node;

    public void Dispose() => _node?.Dispose();

    private RplNodeBehaviour Create(RplNodeOptions options)
    {
        _node = new RplNodeBehaviour(options, _sink, _time, new Random(5));
        _node.ParentChanged += (_, e) => _changes.Add(e);
        _node.Start();
        return _node;
    }

    private static RplDio Dio(RplMode mode, ushort rank, byte version = 240, ushort ocp = 1, byte dtsn = 240) => new()
    {
        InstanceId = 0x1E,
        Version = version,
        Rank = rank,
        Grounded = true,
        Mode = mode,
        Dtsn = dtsn,
        DodagId = RplTestMesh.DodagId,
        Options =
        [
            new DodagConfigurationOption
            {
                DioIntervalDoublings = 8, DioIntervalMin = 12, DioRedundancyConstant = 10, MaxRankIncrease = 1024, MinHopRankIncrease = 128,
                ObjectiveCodePoint = ocp, DefaultLifetime = 30, LifetimeUnit = 60,
            },
            new PrefixInformationOption { Prefix = Ipv6Prefix.DefaultMesh, Autonomous = true, ValidLifetime = uint.MaxValue, PreferredLifetime = uint.MaxValue },
        ],
    };

    private void Hear(Ipv6Address from, RplMessage message, Ipv6Address? to = null)
    {
        Ipv6Address destination = to ?? Ipv6Address.AllRplNodes;
        Assert.True(_node!.HandleIcmp(new RplReceiveContext(from, destination), RplMessageCodec.Encode(message, from, destination)));
    }

    [Fact]
    public void Solicits_with_multicast_dis_until_joined()
    {
        Create(RplNodeOptions.ContikiNgRplLite(s_mac));
        _time.Run(TimeSpan.FromSeconds(70));
        var dis = _sink.OfType<RplDis>().ToArray();
        Assert.InRange(dis.Length, 2, 3);
        Assert.All(dis, d => Assert.Equal(Ipv6Address.AllRplNodes, d.Message.Destination));

        Hear(s_root, Dio(RplMode.NonStoring, 128));
        _sink.Clear();
        _time.Run(TimeSpan.FromSeconds(70));
        Assert.Empty(_sink.OfType<RplDis>());
    }

    [Theory]
    [InlineData(RplMode.Storing, RplMode.NonStoring, 1)]
    [InlineData(RplMode.NonStoring, RplMode.Storing, 1)]
    [InlineData(RplMode.NonStoring, RplMode.NonStoring, 0)] // OF0 advertised: ignored
    public void Ignores_dios_it_cannot_join(RplMode firmware, RplMode advertised, ushort ocp)
    {
        RplNodeBehaviour node = Create(new RplNodeOptions { Mac = s_mac, Mode = firmware });
        Hear(s_root, Dio(advertised, 128, ocp: ocp));
        Assert.False(node.IsJoined);
        Assert.Null(node.PreferredParent);
    }

    [Fact]
    public void Joins_takes_the_prefix_and_sends_a_rpl_lite_dao_with_the_parent_address()
    {
        RplNodeBehaviour node = Create(RplNodeOptions.ContikiNgRplLite(s_mac));
        Hear(s_root, Dio(RplMode.NonStoring, 128));
        Assert.True(node.IsJoined);
        Assert.Equal(s_root, node.PreferredParent);
        Assert.Equal(256, node.Rank);
        Assert.Equal(Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, s_mac), node.GlobalAddress);

        _time.Run(TimeSpan.FromSeconds(6));
        (RplOutgoingMessage message, RplDao dao) = Assert.Single(_sink.OfType<RplDao>());
        Assert.Equal(node.GlobalAddress, message.Source);
        Assert.Equal(RplTestMesh.DodagId, message.Destination);
        Assert.True(dao.AckRequested);
        Assert.Equal(new Ipv6Prefix(node.GlobalAddress, 128), dao.FindOption<RplTargetOption>()!.Target);
        TransitInformationOption transit = dao.FindOption<TransitInformationOption>()!;
        Assert.Equal(RplTestMesh.DodagId, transit.ParentAddress); // DODAGID prefix ‖ IID of the root's link-local
        Assert.Equal(30, transit.PathLifetime);

        // And the node now advertises itself by Trickle.
        Assert.Contains(_sink.OfType<RplDio>(), d => d.Decoded.Rank == 256 && d.Message.Destination == Ipv6Address.AllRplNodes);
    }

    [Fact]
    public void Retransmits_the_dao_until_acknowledged()
    {
        RplNodeBehaviour node = Create(RplNodeOptions.ContikiNgRplLite(s_mac));
        Hear(s_root, Dio(RplMode.NonStoring, 128));
        _time.Run(TimeSpan.FromSeconds(6));
        _time.Run(TimeSpan.FromSeconds(10.5)); // two 5 s timeouts
        var daos = _sink.OfType<RplDao>().Select(d => d.Decoded.Sequence).ToArray();
        Assert.Equal(3, daos.Length);
        Assert.Single(daos.Distinct());
        Assert.False(node.DaoAcknowledged);

        Hear(RplTestMesh.DodagId, new RplDaoAck { InstanceId = 0x1E, Sequence = daos[0] }, node.GlobalAddress);
        Assert.True(node.DaoAcknowledged);
        _time.Run(TimeSpan.FromSeconds(30));
        Assert.Equal(3, _sink.OfType<RplDao>().Count());
    }

    [Fact]
    public void Picks_the_lowest_rank_parent_with_hysteresis()
    {
        RplNodeBehaviour node = Create(RplNodeOptions.ContikiNgRplLite(s_mac));
        Hear(s_a, Dio(RplMode.NonStoring, 512));
        Assert.Equal(s_a, node.PreferredParent);
        Hear(s_b, Dio(RplMode.NonStoring, 450)); // better by 62 < threshold 96: stay
        Assert.Equal(s_a, node.PreferredParent);
        Hear(s_root, Dio(RplMode.NonStoring, 128)); // far better: switch
        Assert.Equal(s_root, node.PreferredParent);
        Assert.Equal(256, node.Rank);
        Assert.Equal([null, s_a], _changes.Select(c => c.Previous));
    }

    [Fact]
    public void Follows_a_global_repair_and_advertises_again()
    {
        RplNodeBehaviour node = Create(RplNodeOptions.ContikiNgRplLite(s_mac));
        Hear(s_root, Dio(RplMode.NonStoring, 128));
        _time.Run(TimeSpan.FromSeconds(6));
        Hear(RplTestMesh.DodagId, new RplDaoAck { InstanceId = 0x1E, Sequence = _sink.OfType<RplDao>().Single().Decoded.Sequence }, node.GlobalAddress);
        _sink.Clear();

        Hear(s_a, Dio(RplMode.NonStoring, 384, version: 241)); // the first DIO of the new version comes from A
        Assert.Equal(241, node.Version);
        Assert.Equal(s_a, node.PreferredParent);
        _time.Run(TimeSpan.FromSeconds(6));
        Assert.Equal(new Ipv6Address(node.GlobalAddress.High, s_a.Low), _sink.OfType<RplDao>().Single().Decoded.FindOption<TransitInformationOption>()!.ParentAddress);
    }

    [Fact]
    public void Storing_node_sends_to_its_parent_stores_child_routes_and_forwards_their_daos()
    {
        RplNodeBehaviour node = Create(RplNodeOptions.Contiki30Storing(s_mac));
        Hear(s_root, Dio(RplMode.Storing, 128));
        _time.Run(TimeSpan.FromSeconds(6));
        (RplOutgoingMessage own, RplDao ownDao) = Assert.Single(_sink.OfType<RplDao>());
        Assert.Equal((node.LinkLocalAddress, s_root), (own.Source, own.Destination));
        Assert.False(ownDao.AckRequested);
        Assert.Null(ownDao.FindOption<TransitInformationOption>()!.ParentAddress);
        _sink.Clear();

        // A child (node 1) below us advertises itself.
        Hear(s_a, RplTestMesh.StoringDao(1, 5), node.LinkLocalAddress);
        Assert.True(node.TryGetNextHop(RplTestMesh.Global(1), out Ipv6Address hop));
        Assert.Equal(s_a, hop);
        (RplOutgoingMessage forwarded, RplDao forwardedDao) = Assert.Single(_sink.OfType<RplDao>());
        Assert.Equal((node.LinkLocalAddress, s_root), (forwarded.Source, forwarded.Destination));
        Assert.Equal(new Ipv6Prefix(RplTestMesh.Global(1), 128), forwardedDao.FindOption<RplTargetOption>()!.Target);

        // Anything else goes up to the parent.
        Assert.True(node.TryGetNextHop(RplTestMesh.DodagId, out hop));
        Assert.Equal(s_root, hop);

        // The child's No-Path withdraws the route.
        Hear(s_a, RplTestMesh.StoringDao(1, 6, lifetime: 0), node.LinkLocalAddress);
        Assert.Equal(0, node.StoredRouteCount);
    }

    [Fact]
    public void Follows_the_golden_source_route()
    {
        // Frame 6 arrives at A (IPv6 destination) with one segment left: the next destination is B.
        byte[] srh = Golden.Frames()[5].AsSpan(24, 16).ToArray();
        Assert.True(RplNodeBehaviour.TryFollowSourceRoute(srh, Ipv6Address.Parse("fd00::212:4b00:60d:b2a1"), out Ipv6Address next, out int left));
        Assert.Equal(Ipv6Address.Parse("fd00::212:4b00:60d:c3d4"), next);
        Assert.Equal(0, left);

        srh[3] = 0; // no segment left: B is the final destination
        Assert.False(RplNodeBehaviour.TryFollowSourceRoute(srh, next, out _, out _));
        Assert.False(RplNodeBehaviour.TryFollowSourceRoute(srh.AsSpan(0, 5), next, out _, out _));
    }
}
