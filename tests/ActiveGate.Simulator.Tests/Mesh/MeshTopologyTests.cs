using ActiveGate.Simulator.Mesh;
using ActiveGate.SixLowpan.Rpl;

namespace ActiveGate.Simulator.Tests.Mesh;

/// <summary>Link graphs, the air honouring them, and the multi-hop command line.</summary>
public sealed class MeshTopologyTests
{
    [Fact]
    public void Single_has_no_graph_and_everybody_one_hop_away()
    {
        Assert.Null(MeshTopology.Build(TopologyKind.Single, 5));
        Assert.Equal([0, 1, 1, 1, 1, 1], MeshTopology.Depths(5, null));
    }

    [Fact]
    public void Line_chains_have_the_requested_depth()
    {
        IReadOnlyList<(int A, int B)> links = MeshTopology.Build(TopologyKind.Line, 12, hops: 5)!;
        int[] depth = MeshTopology.Depths(12, links);
        Assert.Equal(5, depth.Max());
        Assert.Equal(3, links.Count(l => l.A == 0)); // chains of 5, 5 and 2
        Assert.Equal(12, MeshTopology.Depths(12, MeshTopology.Build(TopologyKind.Line, 12)).Max());
    }

    [Theory]
    [InlineData(20, 4, 4)]
    [InlineData(20, 2, 2)]
    [InlineData(200, 3, 3)]
    public void Tree_reaches_exactly_the_requested_depth(int nodes, int hops, int expected)
    {
        IReadOnlyList<(int A, int B)> links = MeshTopology.Build(TopologyKind.Tree, nodes, hops)!;
        Assert.Equal(nodes, links.Count); // a tree: one link per node
        Assert.Equal(expected, MeshTopology.Depths(nodes, links).Max());
    }

    [Fact]
    public void Grid_is_connected_and_deep()
    {
        int[] depth = MeshTopology.Depths(20, MeshTopology.Build(TopologyKind.Grid, 20));
        Assert.All(depth, d => Assert.True(d >= 0));
        Assert.True(depth.Max() >= 6);
    }

    [Fact]
    public void Random_is_connected_and_reproducible_by_seed()
    {
        IReadOnlyList<(int A, int B)> a = MeshTopology.Build(TopologyKind.Random, 50, seed: 7)!;
        IReadOnlyList<(int A, int B)> b = MeshTopology.Build(TopologyKind.Random, 50, seed: 7)!;
        IReadOnlyList<(int A, int B)> c = MeshTopology.Build(TopologyKind.Random, 50, seed: 8)!;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(MeshTopology.Depths(50, a), d => Assert.True(d >= 0));
        Assert.True(MeshTopology.Depths(50, a).Max() >= 3);
    }

    [Fact]
    public async Task Air_delivers_only_within_range_and_unicast_out_of_range_gets_no_ack()
    {
        var air = new SimulatedAir(new AirOptions());
        using var a = new NodeFrameLink(air, 0xA, 26);
        using var b = new NodeFrameLink(air, 0xB, 26);
        using var c = new NodeFrameLink(air, 0xC, 26);
        air.Attach(a);
        air.Attach(b);
        air.Attach(c);
        air.Link(0xA, 0xB);
        air.Link(0xB, 0xC);
        Assert.True(air.HasLinkGraph);
        Assert.False(air.InRange(0xA, 0xC));

        byte[] toC = Frame(0xA, 0xC);
        Assert.Equal(ActiveGate.Radio.TxStatus.NoAck, (await a.TransmitAsync(toC, CancellationToken.None)).Status);
        Assert.Equal(ActiveGate.Radio.TxStatus.Ok, (await b.TransmitAsync(Frame(0xB, 0xC), CancellationToken.None)).Status);
        await a.TransmitAsync(Frame(0xA, null), CancellationToken.None); // broadcast: b only
        Assert.Equal(2, air.FramesDelivered);

        air.Isolate(0xB);
        Assert.Empty(air.NeighboursOf(0xB));
        Assert.Equal(ActiveGate.Radio.TxStatus.NoAck, (await b.TransmitAsync(Frame(0xB, 0xC), CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Link_loss_applies_per_link()
    {
        var air = new SimulatedAir(new AirOptions { Seed = 3 });
        using var a = new NodeFrameLink(air, 0xA, 26);
        using var b = new NodeFrameLink(air, 0xB, 26);
        air.Attach(a);
        air.Attach(b);
        air.Link(0xA, 0xB, loss: 1.0);
        ActiveGate.Radio.TxResult result = await a.TransmitAsync(Frame(0xA, 0xB), CancellationToken.None);
        Assert.Equal(new ActiveGate.Radio.TxResult(ActiveGate.Radio.TxStatus.NoAck, 4), result);
        Assert.Equal(4, air.AttemptsLost);
    }

    [Fact]
    public void Command_line_takes_topology_hops_link_loss_and_rpl_mode()
    {
        SimulatorOptions o = SimulatorOptions.Parse(["--topology", "grid", "--hops", "3", "--link-loss", "0.1", "--rpl", "storing", "--dao-delay", "250", "--dis-interval", "2"]);
        Assert.Equal(TopologyKind.Grid, o.Topology);
        Assert.Equal(3, o.Hops);
        Assert.Equal(0.1, o.LinkLoss);
        Assert.Equal(RplMode.Storing, o.EffectiveRpl);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.DaoDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), o.DisInterval);

        Assert.Null(SimulatorOptions.Parse([]).EffectiveRpl); // single hop, no RPL: today's behaviour
        Assert.Equal(RplMode.NonStoring, SimulatorOptions.Parse(["--topology", "line"]).EffectiveRpl);
        Assert.Null(SimulatorOptions.Parse(["--topology", "line", "--rpl", "none"]).EffectiveRpl);
        Assert.Equal(RplMode.NonStoring, SimulatorOptions.Parse(["--rpl", "non-storing"]).EffectiveRpl);
        Assert.Throws<FormatException>(() => SimulatorOptions.Parse(["--topology", "ring"]));
        Assert.Throws<FormatException>(() => SimulatorOptions.Parse(["--rpl", "mop3"]));
        Assert.Throws<FormatException>(() => SimulatorOptions.Parse(["--link-loss", "2"]));
    }

    private static byte[] Frame(ulong from, ulong? to)
    {
        var header = ActiveGate.Ieee802154.MacHeader.Data(
            0xABCD,
            ActiveGate.Ieee802154.MacAddress.FromExtended(from),
            to is { } t ? ActiveGate.Ieee802154.MacAddress.FromExtended(t) : ActiveGate.Ieee802154.MacAddress.Broadcast,
            1);
        byte[] frame = new byte[64];
        Assert.True(ActiveGate.Ieee802154.MacFrameCodec.TryWriteHeader(header, frame, out int length));
        frame[length] = 0x41;
        return frame[..(length + 1)];
    }
}
