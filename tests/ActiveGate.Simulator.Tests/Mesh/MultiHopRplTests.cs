using System.Globalization;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Simulator.Mesh;
using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Root;

namespace ActiveGate.Simulator.Tests.Mesh;

/// <summary>
/// Multi-hop meshes of simulated Contiki RPL routers with the agent-side root wired as the agent wires
/// it (MeshInterface + RplMeshBinding + RplRoot on the simulation's root radio), in both modes:
/// convergence, CoAP to every node (the deepest through 4+ hops), removal and moves. Real time with
/// shortened RPL timers (DIO Imin 128 ms, 4 doublings; DAO delay 200 ms).
/// </summary>
public sealed class MultiHopRplTests
{
    private static readonly TimeSpan s_converge = TimeSpan.FromSeconds(60);

    internal static SimulatorOptions Options(RplMode mode, TopologyKind topology, int hops, int nodes = 20, int seed = 5) => new()
    {
        Plugs = nodes - (nodes / 4),
        Dins = nodes / 4,
        Topology = topology,
        Hops = hops,
        Rpl = mode,
        DaoDelay = TimeSpan.FromMilliseconds(200),
        DaoAckTimeout = TimeSpan.FromSeconds(1),
        DisInterval = TimeSpan.FromSeconds(1),
        ReportInterval = TimeSpan.FromHours(1),
        Seed = seed,
    };

    /// <summary>The DODAG settings a test (and the agent, scaled) advertises: fast trickle, optional short lifetimes.</summary>
    internal static Func<RplRootOptions, RplRootOptions> Fast(byte lifetime = 30, ushort unit = 60) => o => new RplRootOptions
    {
        DodagId = o.DodagId,
        Prefix = o.Prefix,
        Mode = o.Mode,
        DioIntervalMin = 7,
        DioIntervalDoublings = 4,
        DioRedundancy = 10,
        DefaultLifetime = lifetime,
        LifetimeUnit = unit,
    };

    [Theory]
    [InlineData(RplMode.NonStoring, TopologyKind.Tree, 4)]
    [InlineData(RplMode.Storing, TopologyKind.Tree, 4)]
    [InlineData(RplMode.NonStoring, TopologyKind.Grid, 0)]
    [InlineData(RplMode.Storing, TopologyKind.Grid, 0)]
    public async Task Twenty_nodes_converge_and_every_node_answers_coap_through_its_route(RplMode mode, TopologyKind topology, int hops)
    {
        await using Simulation sim = Simulation.CreateInProcess(Options(mode, topology, hops));
        await using var root = new InProcessRoot(sim, mode, Fast());
        await sim.StartAsync(CancellationToken.None);

        TimeSpan? converged = await root.WaitForConvergenceAsync(s_converge, TimeSpan.FromMilliseconds(50));
        Assert.True(converged is not null, $"{root.ReachableCount()}/20 nodes have a downward route after {s_converge}");

        int[] depth = sim.Depths();
        Assert.True(depth.Max() >= 4, "the topology has a node at least 4 hops deep");
        foreach ((SimulatedNode node, int index) in sim.Nodes.Select((n, i) => (n, i + 1)))
        {
            Ipv6Address address = root.AddressOf(node);
            Assert.Equal(address, node.Network.GlobalAddress); // autoconfigured from the DIO's prefix
            Assert.True(node.Network.Rpl!.IsJoined);
            if (mode == RplMode.NonStoring)
            {
                IReadOnlyList<Ipv6Address> via = root.Root.GetSourceRoute(address)!;
                AssertIsPathInTopology(sim, root, node, via);
                if (topology == TopologyKind.Tree)
                {
                    Assert.Equal(depth[index] - 1, via.Count); // a tree has one path: the source route is it
                }
            }
            else
            {
                Assert.True(root.Root.TryGetNextHop(address, out Ipv6Address next));
                Assert.True(sim.Air.InRange(sim.Options.RadioEui64, EuiOf(sim, next)), "storing: the root's next hop is one of its radio neighbours");
            }
        }

        // CoAP GET /ch/1/power to every node, deepest first, with the CoAP library over the mesh.
        await using var client = new CoapClient(MeshUdpTransport.Bind(root.Mesh, 40_001));
        foreach ((SimulatedNode node, int d) in sim.Nodes.Select((n, i) => (n, depth[i + 1])).OrderByDescending(x => x.Item2))
        {
            CoapResponse response = await client.GetAsync(new Uri($"coap://[{root.AddressOf(node)}]/ch/1/power")).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CoapCode.Content, response.Code);
            double watts = double.Parse(System.Text.Encoding.UTF8.GetString(response.Payload.Span), CultureInfo.InvariantCulture);
            Assert.InRange(watts, 0, 20 * 240);
        }

        // Intermediate routers really forwarded (hop by hop in storing, SRH steps in non-storing).
        Assert.True(sim.Nodes.Count(n => n.Network.Forwarded > 0) >= 3);
        if (mode == RplMode.NonStoring)
        {
            // RPL-Lite asks for DAO-ACKs (a DAO-ACK can fail while the parent's own DAO is still missing: the node retries).
            Assert.True(root.Root.Statistics.DaoAcksSent >= 20);
            Assert.True(await WaitUntilAsync(() => sim.Nodes.All(n => n.Network.Rpl!.DaoAcknowledged), TimeSpan.FromSeconds(15)), "every RPL-Lite node got its DAO-ACK (retransmitting where the first one failed)");
        }
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public async Task Lossy_links_still_converge_and_the_deepest_node_answers(RplMode mode)
    {
        SimulatorOptions options = Options(mode, TopologyKind.Random, 0, nodes: 20, seed: 11);
        options.LinkLoss = 0.2;

        // RPL-Lite gives up after 5 unanswered DAOs until its next refresh (the model has no local repair);
        // a DAO-ACK cannot be routed while the node's parent is not registered yet, so leave the parents time.
        options.DaoAckTimeout = TimeSpan.FromSeconds(3);
        await using Simulation sim = Simulation.CreateInProcess(options);
        await using var root = new InProcessRoot(sim, mode, Fast());
        await sim.StartAsync(CancellationToken.None);
        Assert.NotNull(await root.WaitForConvergenceAsync(s_converge, TimeSpan.FromMilliseconds(50)));
        Assert.True(sim.Air.AttemptsLost > 0);

        int[] depth = sim.Depths();
        SimulatedNode deepest = sim.Nodes[Array.IndexOf(depth, depth.Max()) - 1];
        await using var client = new CoapClient(MeshUdpTransport.Bind(root.Mesh, 40_005));
        CoapResponse response = await client.GetAsync(new Uri($"coap://[{root.AddressOf(deepest)}]/ch/1/power")).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(CoapCode.Content, response.Code);
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public async Task A_removed_node_is_marked_gone_at_the_root_within_its_path_lifetime(RplMode mode)
    {
        // Path lifetime 4 × 1 s: nodes refresh their DAO about every 2 s.
        TimeSpan lifetime = TimeSpan.FromSeconds(4);
        await using Simulation sim = Simulation.CreateInProcess(Options(mode, TopologyKind.Tree, 3, nodes: 12));
        await using var root = new InProcessRoot(sim, mode, Fast(lifetime: 4, unit: 1));
        await sim.StartAsync(CancellationToken.None);
        Assert.NotNull(await root.WaitForConvergenceAsync(s_converge, TimeSpan.FromMilliseconds(50)));

        int[] depth = sim.Depths();
        SimulatedNode leaf = sim.Nodes[Array.LastIndexOf(depth, depth.Max()) - 1];
        Ipv6Address gone = root.AddressOf(leaf);
        var left = new TaskCompletionSource<RplNodeLeftEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        root.Root.NodeLeft += (_, e) =>
        {
            if (e.Node.Address == gone)
            {
                left.TrySetResult(e);
            }
        };

        // Let a couple of refreshes pass first: routes must survive while nodes are alive.
        await Task.Delay(lifetime * 1.5);
        Assert.Equal(sim.Nodes.Count, root.ReachableCount());

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await sim.RemoveNodeAsync(leaf);
        await left.Task.WaitAsync(lifetime * 3);
        Assert.True(watch.Elapsed <= lifetime + TimeSpan.FromSeconds(1), $"marked gone after {watch.Elapsed}, path lifetime {lifetime}");
        Assert.False(root.Root.TryGetNextHop(gone, out _));
        Assert.Equal(sim.Nodes.Count, root.ReachableCount()); // everybody else is still routed
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public async Task A_moved_node_gets_its_new_route_and_answers_through_it(RplMode mode)
    {
        // Two chains of 5: nodes 1-5 and 6-10. Node 5 (5 hops deep) moves next to node 6 (1 hop).
        await using Simulation sim = Simulation.CreateInProcess(Options(mode, TopologyKind.Line, 5, nodes: 10));
        await using var root = new InProcessRoot(sim, mode, Fast());
        await sim.StartAsync(CancellationToken.None);
        Assert.NotNull(await root.WaitForConvergenceAsync(s_converge, TimeSpan.FromMilliseconds(50)));

        SimulatedNode mover = sim.Nodes[4];
        SimulatedNode newParent = sim.Nodes[5];
        Ipv6Address address = root.AddressOf(mover);
        if (mode == RplMode.NonStoring)
        {
            Assert.Equal(4, root.Root.GetSourceRoute(address)!.Count);
        }

        var moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        root.Root.RouteChanged += (_, e) =>
        {
            if (e.Node.Address == address && RouteIsVia(root, address, newParent))
            {
                moved.TrySetResult();
            }
        };

        sim.MoveNode(mover, [newParent.Device.ExtendedAddress]);
        await moved.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((Ipv6Address?)newParent.Network.LinkLocalAddress, mover.Network.Rpl!.PreferredParent);

        await using var client = new CoapClient(MeshUdpTransport.Bind(root.Mesh, 40_002));
        CoapResponse response = await client.GetAsync(new Uri($"coap://[{address}]/ch/1/power")).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CoapCode.Content, response.Code);
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    private static bool RouteIsVia(InProcessRoot root, Ipv6Address address, SimulatedNode parent)
    {
        if (root.Root.Mode == RplMode.NonStoring)
        {
            return root.Root.GetSourceRoute(address) is [Ipv6Address only] && only.Low == parent.Network.LinkLocalAddress.Low;
        }

        return root.Root.TryGetNextHop(address, out Ipv6Address next) && next.Low == parent.Network.LinkLocalAddress.Low;
    }

    private static ulong EuiOf(Simulation sim, Ipv6Address address) =>
        sim.Nodes.Single(n => n.Network.LinkLocalAddress.Low == address.Low).Device.ExtendedAddress;

    // root → via[0] → … → via[^1] → node: every consecutive pair must hear each other.
    private static void AssertIsPathInTopology(Simulation sim, InProcessRoot root, SimulatedNode node, IReadOnlyList<Ipv6Address> via)
    {
        ulong previous = sim.Options.RadioEui64;
        foreach (Ipv6Address hop in via)
        {
            ulong eui = EuiOf(sim, hop);
            Assert.True(sim.Air.InRange(previous, eui), $"source route to {root.AddressOf(node)} uses a link that does not exist");
            previous = eui;
        }

        Assert.True(sim.Air.InRange(previous, node.Device.ExtendedAddress));
    }
}
