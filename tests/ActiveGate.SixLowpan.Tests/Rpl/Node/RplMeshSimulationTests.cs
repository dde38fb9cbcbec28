using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Root;

namespace ActiveGate.SixLowpan.Tests.Rpl.Node;

/// <summary>The real root and 20 simulated Contiki-like nodes converge, lose and re-route nodes.</summary>
public class RplMeshSimulationTests
{
    private static (int Count, IEnumerable<(int, int)> Links) Topology(string name) => name switch
    {
        "line" => (20, SimTopology.Line(20)),
        "tree" => (20, SimTopology.Tree(20)),
        "grid" => (20, SimTopology.Grid(5, 4)),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    [Theory]
    [InlineData(RplMode.NonStoring, "line")]
    [InlineData(RplMode.NonStoring, "tree")]
    [InlineData(RplMode.NonStoring, "grid")]
    [InlineData(RplMode.Storing, "line")]
    [InlineData(RplMode.Storing, "tree")]
    [InlineData(RplMode.Storing, "grid")]
    public void Twenty_nodes_converge_and_the_root_routes_match_the_nodes_parents(RplMode mode, string topology)
    {
        (int count, IEnumerable<(int, int)> links) = Topology(topology);
        (int, int)[] linkList = links.ToArray();
        using var sim = new RplMeshSimulation(count, mode, linkList, seed: 11);
        sim.Start();
        TimeSpan? converged = sim.RunUntil(sim.AllReachable, TimeSpan.FromMinutes(10));
        Assert.True(converged.HasValue, "not converged in 10 simulated minutes");

        int[] depths = SimTopology.Depths(count, linkList);
        int deepest = Enumerable.Range(1, count).MaxBy(i => depths[i]);
        Assert.True(depths[deepest] >= 4);
        for (int i = 1; i <= count; i++)
        {
            int[] chain = sim.ParentChain(i);
            Assert.NotEmpty(chain);
            Assert.True(sim.Root.TryGetNextHop(sim.Global(i), out var firstHop));
            if (mode == RplMode.NonStoring)
            {
                // The root's source route is exactly the nodes' parent chain.
                Assert.Equal(chain[..^1].Select(sim.Global), sim.Root.GetSourceRoute(sim.Global(i)));
                Assert.Equal(sim.Global(chain[0]), firstHop);
            }
            else
            {
                Assert.Equal(sim.LinkLocal(chain[0]), firstHop);
            }
        }

        // MRHOF with perfect links picks shortest paths: the deepest node is as deep as the graph says.
        Assert.Equal(depths[deepest], sim.ParentChain(deepest).Length);
        if (mode == RplMode.NonStoring)
        {
            sim.Run(TimeSpan.FromSeconds(1)); // the last DAO-ACKs are still on their way down
            Assert.All(Enumerable.Range(1, count), i => Assert.True(sim.Nodes[i].DaoAcknowledged, $"node {i}"));
        }
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public void Removed_node_is_marked_left_within_its_path_lifetime(RplMode mode)
    {
        (int count, IEnumerable<(int, int)> links) = Topology("grid");
        var options = new RplRootOptions
        {
            DodagId = Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, ActiveGate.Ieee802154.MacAddress.FromExtended(0x0012_4B00_0102_0304)),
            Mode = mode,
            DefaultLifetime = 2,
            LifetimeUnit = 60,
        };
        using var sim = new RplMeshSimulation(count, mode, links, seed: 3, rootOptions: options);
        var left = new List<(Ipv6Address Address, DateTimeOffset At)>();
        sim.Root.NodeLeft += (_, e) => left.Add((e.Node.Address, sim.Time.GetUtcNow()));
        sim.Start();
        Assert.NotNull(sim.RunUntil(sim.AllReachable, TimeSpan.FromMinutes(5)));

        const int leaf = 20; // corner of the grid, nobody's parent
        Assert.True(sim.Root.TryGetNode(sim.Global(leaf), out RplNodeInfo? before));
        DateTimeOffset removedAt = sim.Time.GetUtcNow();
        sim.Remove(leaf);
        sim.Run(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(5));

        var gone = Assert.Single(left);
        Assert.Equal(sim.Global(leaf), gone.Address);
        Assert.True(gone.At - removedAt <= TimeSpan.FromMinutes(2), $"left after {gone.At - removedAt}");
        Assert.True(gone.At <= before!.ExpiresAt);

        // Everyone else keeps refreshing (DAOs at half the lifetime) and stays.
        sim.Run(TimeSpan.FromMinutes(4));
        Assert.Single(left);
        Assert.Equal(count - 1, sim.Root.GetNodes().Count);
    }

    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public void Moved_node_gets_a_new_route(RplMode mode)
    {
        // Line 0-1-2-...-8; node 8 moves next to node 2.
        using var sim = new RplMeshSimulation(8, mode, SimTopology.Line(8), seed: 5);
        var moves = new List<RplNodeEventArgs>();
        sim.Root.RouteChanged += (_, e) => moves.Add(e);
        sim.Start();
        Assert.NotNull(sim.RunUntil(sim.AllReachable, TimeSpan.FromMinutes(5)));
        Assert.Equal(8, sim.ParentChain(8).Length);

        sim.Disconnect(7, 8);
        sim.Connect(2, 8);
        TimeSpan? rerouted = sim.RunUntil(
            () => sim.ParentChain(8).Length == 3 && sim.AllReachable()
                && (mode == RplMode.Storing
                    ? sim.Nodes[2].TryGetNextHop(sim.Global(8), out var down) && down == sim.LinkLocal(8)
                    : sim.Root.GetSourceRoute(sim.Global(8))!.Count == 2),
            TimeSpan.FromMinutes(20));
        Assert.True(rerouted.HasValue, "node 8 never re-routed");
        Assert.Equal([1, 2, 8], sim.ParentChain(8));
        if (mode == RplMode.NonStoring)
        {
            Assert.Contains(moves, m => m.Node.Address == sim.Global(8) && m.PreviousHop == sim.Global(7));
            Assert.Equal(3, sim.Root.TryGetNode(sim.Global(8), out RplNodeInfo? node) ? node!.HopCount : 0);
        }
        else
        {
            // Storing: the root's next hop stays node 1; node 2 now holds the route down to 8.
            Assert.True(sim.Nodes[2].TryGetNextHop(sim.Global(8), out var hop));
            Assert.Equal(sim.LinkLocal(8), hop);
        }
    }

    [Fact]
    public void Converges_with_ten_percent_loss_per_hop()
    {
        using var sim = new RplMeshSimulation(20, RplMode.NonStoring, SimTopology.Grid(5, 4), seed: 9, lossPerHop: 0.1);
        sim.Start();
        Assert.NotNull(sim.RunUntil(sim.AllReachable, TimeSpan.FromMinutes(15)));
        Assert.True(sim.MessagesLost > 0);
    }
}
