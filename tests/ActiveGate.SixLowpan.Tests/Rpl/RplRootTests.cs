using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static ActiveGate.SixLowpan.Tests.Rpl.RplTestMesh;

namespace ActiveGate.SixLowpan.Tests.Rpl;

public sealed class RplRootTests : IDisposable
{
    private static readonly TimeSpan s_imin = TimeSpan.FromMilliseconds(4096);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly CapturingSink _sink = new();
    private readonly List<string> _events = [];
    private RplRoot? _root;

    public void Dispose() => _root?.Dispose();

    private RplRoot CreateRoot(RplMode mode, byte lifetime = 30, ushort unit = 60, int maxNodes = 1024)
    {
        _root = new RplRoot(
            new RplRootOptions { DodagId = DodagId, Mode = mode, DefaultLifetime = lifetime, LifetimeUnit = unit, MaxNodes = maxNodes },
            _sink,
            _time,
            random: new Random(1));
        _root.NodeJoined += (_, e) => _events.Add($"joined {e.Node.Address}");
        _root.NodeLeft += (_, e) => _events.Add($"left {e.Node.Address} {e.Reason}");
        _root.RouteChanged += (_, e) => _events.Add($"moved {e.Node.Address} from {e.PreviousHop}");
        return _root;
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public void Trickle_dio_to_all_rpl_nodes_advertises_the_dodag(RplMode mode)
    {
        RplRoot root = CreateRoot(mode);
        root.Start();
        Assert.Empty(_sink.Messages);
        _time.Run(s_imin);

        (RplOutgoingMessage message, RplDio dio) = Assert.Single(_sink.OfType<RplDio>());
        Assert.Equal(Ipv6Address.AllRplNodes, message.Destination);
        Assert.Equal(RootLinkLocal, message.Source);
        Assert.True(RplMessageCodec.VerifyChecksum(message.Source, message.Destination, message.Icmpv6Message.Span));
        Assert.Equal(0x1E, dio.InstanceId);
        Assert.Equal(240, dio.Version);
        Assert.Equal(128, dio.Rank);
        Assert.Equal(mode, dio.Mode);
        Assert.True(dio.Grounded);
        Assert.Equal(DodagId, dio.DodagId);
        DodagConfigurationOption config = dio.FindOption<DodagConfigurationOption>()!;
        Assert.Equal((8, 12, 10, 1024, 128, 1, 30, 60), (config.DioIntervalDoublings, config.DioIntervalMin, config.DioRedundancyConstant, config.MaxRankIncrease, config.MinHopRankIncrease, config.ObjectiveCodePoint, config.DefaultLifetime, config.LifetimeUnit));
        Assert.Equal(Ipv6Prefix.DefaultMesh, dio.FindOption<PrefixInformationOption>()!.Prefix);
        Assert.True(dio.FindOption<PrefixInformationOption>()!.Autonomous);

        // Next DIOs follow the doubling intervals: 2·Imin later at most 1 more, and so on.
        _time.Run(s_imin * 6);
        Assert.Equal(3, _sink.OfType<RplDio>().Count());
    }

    [Fact]
    public void Unicast_dis_gets_a_unicast_dio_and_multicast_dis_resets_trickle()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        root.Start();
        _time.Run(s_imin * 7);
        Assert.Equal(s_imin * 8, root.Trickle.CurrentInterval);
        _sink.Clear();

        Deliver(root, new RplReceiveContext(LinkLocal(5), RootLinkLocal, Mac(5)), new RplDis());
        (RplOutgoingMessage unicast, RplDio dio) = Assert.Single(_sink.OfType<RplDio>());
        Assert.Equal(LinkLocal(5), unicast.Destination);
        Assert.Equal(DodagId, dio.DodagId);
        Assert.Equal(s_imin * 8, root.Trickle.CurrentInterval); // unicast DIS does not touch Trickle

        Deliver(root, new RplReceiveContext(LinkLocal(6), Ipv6Address.AllRplNodes, Mac(6)), new RplDis());
        Assert.Equal(s_imin, root.Trickle.CurrentInterval);
        Assert.Equal(1, root.Trickle.ResetCount);
        _time.Run(s_imin);
        Assert.Equal(2, _sink.OfType<RplDio>().Count());
        Assert.Equal(2, root.Statistics.DisReceived);
        Assert.Equal(1, root.Statistics.UnicastDiosSent);
    }

    [Fact]
    public void Dis_with_a_predicate_for_another_dodag_is_ignored()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        var dis = new RplDis { Options = [new SolicitedInformationOption { DodagIdPredicate = true, DodagId = Global(9) }] };
        Deliver(root, new RplReceiveContext(LinkLocal(5), RootLinkLocal), dis);
        Assert.Empty(_sink.Messages);
    }

    [Theory]
    [InlineData(RplMode.NonStoring, "line")]
    [InlineData(RplMode.NonStoring, "tree")]
    [InlineData(RplMode.NonStoring, "grid")]
    [InlineData(RplMode.Storing, "line")]
    [InlineData(RplMode.Storing, "tree")]
    [InlineData(RplMode.Storing, "grid")]
    public void Twenty_nodes_all_get_downward_routes_in_any_dao_order(RplMode mode, string topology)
    {
        RplTestMesh mesh = ByName(topology);
        RplRoot root = CreateRoot(mode);
        int[] order = Enumerable.Range(1, mesh.Count).OrderBy(_ => Random.Shared.Next()).ToArray();
        foreach (int i in order)
        {
            mesh.DeliverDao(root, i, sequence: 240);
        }

        Assert.Equal(mesh.Count, root.GetNodes().Count);
        Assert.Equal(mesh.Count, _events.Count(e => e.StartsWith("joined", StringComparison.Ordinal)));
        int deepest = Enumerable.Range(1, mesh.Count).MaxBy(mesh.Depth);
        Assert.True(mesh.Depth(deepest) >= 4, $"{topology} deepest is only {mesh.Depth(deepest)} hops");

        Span<Ipv6Address> via = stackalloc Ipv6Address[32];
        for (int i = 1; i <= mesh.Count; i++)
        {
            Assert.True(root.TryGetNode(Global(i), out RplNodeInfo? node));
            Assert.True(node!.Reachable, $"node {i}");
            Assert.True(root.TryGetNextHop(Global(i), out Ipv6Address nextHop));
            int[] expected = mesh.Via(i);
            if (mode == RplMode.NonStoring)
            {
                Assert.True(root.TryGetSourceRoute(Global(i), via, out int count));
                Assert.Equal(expected.Select(Global), via[..count].ToArray());
                Assert.Equal(expected.Length > 0 ? Global(expected[0]) : Global(i), nextHop);
                Assert.Equal(mesh.Depth(i), node.HopCount);
                Assert.Equal(Global(mesh.Parents[i]), node.Parent);
            }
            else
            {
                Assert.True(root.TryGetSourceRoute(Global(i), via, out int count));
                Assert.Equal(0, count); // storing: no SRH, hop-by-hop next hops
                Assert.Equal(LinkLocal(expected.Length > 0 ? expected[0] : i), nextHop);
            }
        }

        if (mode == RplMode.NonStoring)
        {
            // RPL-Lite asks for DAO-ACKs: one per DAO, same sequence, from the DODAGID to the node.
            var acks = _sink.OfType<RplDaoAck>().ToArray();
            Assert.Equal(mesh.Count, acks.Length);
            Assert.All(acks, a => Assert.Equal((240, RplDaoAck.StatusAccepted, DodagId), (a.Decoded.Sequence, a.Decoded.Status, a.Message.Source)));
            Assert.Equal(order.Select(Global), acks.Select(a => a.Message.Destination));

            // The deepest node's source route as an RFC 6554 header reads back as the path.
            byte[] srh = new byte[256];
            Assert.True(root.TryWriteRoutingHeader(IpProtocol.Udp, Global(deepest), srh, out Ipv6Address firstHop, out int length));
            Assert.Equal(Global(mesh.Via(deepest)[0]), firstHop);
            Ipv6Address[] addresses = new Ipv6Address[32];
            Assert.True(RplSourceRoutingHeader.TryRead(srh.AsSpan(0, length), firstHop, addresses, out int hops, out int segmentsLeft));
            Assert.Equal(mesh.Via(deepest).Skip(1).Select(Global).Append(Global(deepest)), addresses[..hops]);
            Assert.Equal(hops, segmentsLeft);
            // Test nodes differ only in the last IID byte: 15 bytes elided from every hop (CmprI = CmprE = 15).
            Assert.Equal(0xFF, srh[4]);
            Assert.Equal(8 * ((8 + hops + 7) / 8), length);
        }
        else
        {
            Assert.Empty(_sink.OfType<RplDaoAck>()); // Contiki 3.0 does not set K
        }
    }

    [Fact]
    public void Direct_child_needs_no_routing_header()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        Line(3).DeliverDao(root, 1, 240);
        Assert.True(root.TryWriteRoutingHeader(IpProtocol.Udp, Global(1), new byte[64], out Ipv6Address firstHop, out int length));
        Assert.Equal(0, length);
        Assert.Equal(Global(1), firstHop);
        Assert.False(root.TryWriteRoutingHeader(IpProtocol.Udp, Global(2), new byte[64], out _, out _)); // unknown
    }

    [Fact]
    public void Routing_header_matches_golden_frame_6()
    {
        // Frame 6: root fd00::212:4b00:102:304 → B (…60d:c3d4) via A (…60d:b2a1).
        byte[] mpdu = Golden.Frames()[5];
        byte[] goldenSrh = mpdu.AsSpan(24, 16).ToArray();
        Ipv6Address a = Ipv6Address.Parse("fd00::212:4b00:60d:b2a1");
        Ipv6Address b = Ipv6Address.Parse("fd00::212:4b00:60d:c3d4");
        RplRoot root = CreateRoot(RplMode.NonStoring);
        Deliver(root, new RplReceiveContext(a, DodagId), new RplDao { InstanceId = 0x1E, Options = [RplTargetOption.ForAddress(a), new TransitInformationOption { PathLifetime = 30, ParentAddress = DodagId }] });
        Deliver(root, new RplReceiveContext(b, DodagId), new RplDao { InstanceId = 0x1E, Options = [RplTargetOption.ForAddress(b), new TransitInformationOption { PathLifetime = 30, ParentAddress = a }] });

        byte[] srh = new byte[64];
        Assert.True(root.TryWriteRoutingHeader(IpProtocol.Udp, b, srh, out Ipv6Address firstHop, out int length));
        Assert.Equal(a, firstHop);

        // The golden frame elides 8 bytes (CmprI = CmprE = 8); we elide all 14 shared bytes (CmprE = 14,
        // Pad = 6). Both are valid RFC 6554; both must name the same hops.
        Assert.Equal("110103018800000002124B00060DC3D4", Convert.ToHexString(goldenSrh));
        Assert.Equal("11010301EE600000C3D4000000000000", Convert.ToHexString(srh, 0, length));
        Ipv6Address[] golden = new Ipv6Address[4];
        Ipv6Address[] ours = new Ipv6Address[4];
        Assert.True(RplSourceRoutingHeader.TryRead(goldenSrh, a, golden, out int goldenCount, out _));
        Assert.True(RplSourceRoutingHeader.TryRead(srh.AsSpan(0, length), a, ours, out int ourCount, out int segmentsLeft));
        Assert.Equal(golden[..goldenCount], ours[..ourCount]);
        Assert.Equal(new[] { b }, ours[..ourCount]);
        Assert.Equal(1, segmentsLeft);
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public void Node_whose_dao_lapses_is_marked_left_within_its_path_lifetime(RplMode mode)
    {
        RplTestMesh mesh = Tree(20);
        RplRoot root = CreateRoot(mode, unit: 60);
        const byte lifetime = 2; // 2 × 60 s
        const int silent = 9;
        byte sequence = 240;
        for (int i = 1; i <= mesh.Count; i++)
        {
            mesh.DeliverDao(root, i, sequence, lifetime);
        }

        // Everyone but node 9 refreshes every 50 s, like Contiki's DAO refresh before expiry.
        for (int round = 1; round <= 2; round++)
        {
            _time.Advance(TimeSpan.FromSeconds(50));
            sequence = Lollipop.Increment(sequence);
            for (int i = 1; i <= mesh.Count; i++)
            {
                if (i != silent)
                {
                    mesh.DeliverDao(root, i, sequence, lifetime);
                }
            }
        }

        _time.Advance(TimeSpan.FromSeconds(19)); // t = 119 s
        Assert.True(root.TryGetNode(Global(silent), out _));
        Assert.DoesNotContain(_events, e => e.StartsWith("left", StringComparison.Ordinal));

        _time.Advance(TimeSpan.FromSeconds(1)); // t = 120 s: exactly the path lifetime
        Assert.False(root.TryGetNode(Global(silent), out _));
        Assert.Equal($"left {Global(silent)} Expired", Assert.Single(_events, e => e.StartsWith("left", StringComparison.Ordinal)));
        Assert.Equal(mesh.Count - 1, root.GetNodes().Count);
        Assert.Equal(1, root.Statistics.Expired);

        if (mode == RplMode.NonStoring)
        {
            // Node 9's children (18, 19) keep their entries but have no path until 9 (or a new parent) returns.
            Assert.True(root.TryGetNode(Global(18), out RplNodeInfo? orphan));
            Assert.False(orphan!.Reachable);
            Assert.False(root.TryGetNextHop(Global(18), out _));
        }
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public void Moved_node_gets_its_route_updated(RplMode mode)
    {
        RplTestMesh mesh = Line(20);
        RplRoot root = CreateRoot(mode);
        for (int i = 1; i <= mesh.Count; i++)
        {
            mesh.DeliverDao(root, i, 240);
        }

        _events.Clear();
        if (mode == RplMode.NonStoring)
        {
            // Node 20 (20 hops deep under 19) moves under node 2.
            mesh.DeliverDao(root, 20, 241, parentOverride: 2);
            Assert.Equal($"moved {Global(20)} from {Global(19)}", Assert.Single(_events));
            Assert.True(root.TryGetNode(Global(20), out RplNodeInfo? node));
            Assert.Equal(Global(2), node!.Parent);
            Assert.Equal(new[] { Global(1), Global(2) }, root.GetSourceRoute(Global(20)));
            Assert.Equal(3, node.HopCount);
        }
        else
        {
            // Storing: the root only sees next hops. Under node 2 the DAO still comes through child 1 (no change);
            // once node 20 hears the root directly, its DAO arrives from node 20 itself.
            mesh.DeliverDao(root, 20, 241, parentOverride: 2);
            Assert.Empty(_events);
            mesh.DeliverDao(root, 20, 242, parentOverride: 0);
            Assert.Equal($"moved {Global(20)} from {LinkLocal(1)}", Assert.Single(_events));
            Assert.True(root.TryGetNextHop(Global(20), out Ipv6Address hop));
            Assert.Equal(LinkLocal(20), hop);
            Assert.True(root.TryGetNode(Global(20), out RplNodeInfo? node));
            Assert.Equal(1, node!.HopCount);
        }
    }

    [Fact]
    public void No_path_dao_removes_the_route()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        RplTestMesh mesh = Line(3);
        mesh.DeliverDao(root, 1, 240);
        mesh.DeliverDao(root, 2, 240);
        mesh.DeliverDao(root, 2, 241, lifetime: 0);
        Assert.False(root.TryGetNode(Global(2), out _));
        Assert.Contains($"left {Global(2)} NoPath", _events);
        Assert.Equal(1, root.Statistics.NoPathDaos);
    }

    [Fact]
    public void Storing_no_path_from_a_stale_neighbour_does_not_remove_the_new_route()
    {
        RplRoot root = CreateRoot(RplMode.Storing);
        RplTestMesh mesh = Line(5);
        mesh.DeliverDao(root, 1, 240);
        mesh.DeliverDao(root, 5, 241, parentOverride: 0); // node 5 is now a direct child
        // The old path's withdrawal arrives later through child 1.
        Deliver(root, new RplReceiveContext(LinkLocal(1), RootLinkLocal, Mac(1)), StoringDao(5, 242, lifetime: 0, pathSequence: 242));
        Assert.True(root.TryGetNextHop(Global(5), out Ipv6Address hop));
        Assert.Equal(LinkLocal(5), hop);
    }

    [Fact]
    public void Older_path_sequence_is_ignored_but_equal_refreshes()
    {
        RplRoot root = CreateRoot(RplMode.Storing);
        Deliver(root, new RplReceiveContext(LinkLocal(1), RootLinkLocal), StoringDao(1, 1, pathSequence: 245));
        Deliver(root, new RplReceiveContext(LinkLocal(2), RootLinkLocal), StoringDao(1, 2, pathSequence: 244));
        Assert.True(root.TryGetNextHop(Global(1), out Ipv6Address hop));
        Assert.Equal(LinkLocal(1), hop);
        Deliver(root, new RplReceiveContext(LinkLocal(2), RootLinkLocal), StoringDao(1, 3, pathSequence: 245));
        Assert.True(root.TryGetNextHop(Global(1), out hop));
        Assert.Equal(LinkLocal(2), hop);
    }

    [Fact]
    public void Dao_for_another_instance_is_dropped_without_ack_and_a_full_table_rejects()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring, maxNodes: 2);
        byte[] bytes = RplMessageCodec.Encode(NonStoringDao(1, 0, 240, instance: 7), Global(1), DodagId);
        Assert.False(root.HandleIcmp(new RplReceiveContext(Global(1), DodagId), bytes));
        Assert.Empty(_sink.Messages);

        RplTestMesh mesh = Line(3);
        mesh.DeliverDao(root, 1, 240);
        mesh.DeliverDao(root, 2, 240);
        mesh.DeliverDao(root, 3, 240);
        RplDaoAck[] acks = _sink.OfType<RplDaoAck>().Select(a => a.Decoded).ToArray();
        Assert.Equal(new byte[] { 0, 0, RplDaoAck.StatusNoRoom }, acks.Select(a => a.Status));
        Assert.Equal(2, root.GetNodes().Count);
    }

    [Fact]
    public void Malformed_messages_are_counted_not_thrown()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        Assert.False(root.HandleIcmp(new RplReceiveContext(Global(1), DodagId), Convert.FromHexString("9B0200001E")));
        Assert.False(root.HandleIcmp(new RplReceiveContext(Global(1), DodagId), []));
        Assert.Equal(2, root.Statistics.Malformed);
    }

    [Fact]
    public void Global_repair_increments_version_and_dtsn_and_resets_trickle()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        root.Start();
        _time.Run(s_imin * 15);
        Assert.Equal(s_imin * 16, root.Trickle.CurrentInterval);
        _sink.Clear();

        Assert.Equal(241, root.Repair());
        Assert.Equal(s_imin, root.Trickle.CurrentInterval);
        _time.Run(s_imin);
        RplDio dio = Assert.Single(_sink.OfType<RplDio>()).Decoded;
        Assert.Equal(241, dio.Version);
        Assert.Equal(241, dio.Dtsn);
    }

    [Fact]
    public void Dio_from_a_node_with_the_old_version_resets_trickle_and_gives_its_rank()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        root.Start();
        _time.Run(s_imin * 7);
        RplDio heard = root.BuildDio() with { Rank = 384, Options = [] };
        Deliver(root, new RplReceiveContext(LinkLocal(3), Ipv6Address.AllRplNodes, Mac(3)), heard);
        Assert.Equal(s_imin * 8, root.Trickle.CurrentInterval); // consistent
        Assert.Equal(1, root.Trickle.Counter);

        root.Repair();
        _time.Run(s_imin * 3);
        Deliver(root, new RplReceiveContext(LinkLocal(3), Ipv6Address.AllRplNodes, Mac(3)), heard); // still version 240
        Assert.Equal(s_imin, root.Trickle.CurrentInterval);

        // The rank heard before the node's DAO lands in its table entry.
        Line(3).DeliverDao(root, 3, 240, parentOverride: 0);
        Assert.True(root.TryGetNode(Global(3), out RplNodeInfo? node));
        Assert.Equal((ushort)384, node!.Rank);
    }

    [Fact]
    public void Note_heard_takes_rank_and_link_quality_only_from_one_hop_senders()
    {
        RplRoot root = CreateRoot(RplMode.NonStoring);
        RplTestMesh mesh = Line(3);
        mesh.DeliverDao(root, 1, 240);
        mesh.DeliverDao(root, 2, 240);
        _time.Advance(TimeSpan.FromSeconds(10));

        // Node 2's packet relayed by node 1: SenderRank is node 1's, so node 2's rank stays unknown.
        root.NoteHeard(new RplReceiveContext(Global(2), DodagId, Mac(1), new RplHopByHopOption(false, false, false, 0x1E, 256), 200));
        Assert.True(root.TryGetNode(Global(2), out RplNodeInfo? two));
        Assert.Null(two!.Rank);
        Assert.Null(two.LinkQuality);
        Assert.Equal(_time.GetUtcNow(), two.LastHeard);

        root.NoteHeard(new RplReceiveContext(Global(1), DodagId, Mac(1), new RplHopByHopOption(false, false, false, 0x1E, 256), 200));
        Assert.True(root.TryGetNode(Global(1), out RplNodeInfo? one));
        Assert.Equal((ushort)256, one!.Rank);
        Assert.Equal((byte)200, one.LinkQuality);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new RplRootOptions().Validate());
        Assert.Throws<ArgumentException>(() => new RplRootOptions { DodagId = RootLinkLocal }.Validate());
        Assert.Throws<ArgumentException>(() => new RplRootOptions { DodagId = DodagId, Mode = RplMode.NoDownwardRoutes }.Validate());
        new RplRootOptions { DodagId = DodagId, Mode = RplMode.Storing, Prefix = Ipv6Prefix.LegacyContikiMesh }.Validate();
    }
}
