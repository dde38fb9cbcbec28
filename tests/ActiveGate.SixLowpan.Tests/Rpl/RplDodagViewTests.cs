using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Root;
using Microsoft.Extensions.Time.Testing;
using static ActiveGate.SixLowpan.Tests.Rpl.RplTestMesh;

namespace ActiveGate.SixLowpan.Tests.Rpl;

public class RplDodagViewTests
{
    [Fact]
    public void Non_storing_tree_nests_children_under_parents()
    {
        var time = new FakeTimeProvider();
        using var root = new RplRoot(new RplRootOptions { DodagId = DodagId }, new CapturingSink(), time);
        RplTestMesh tree = Tree(5); // 1 under root; 2, 3 under 1; 4, 5 under 2
        for (int i = 1; i <= 5; i++)
        {
            tree.DeliverDao(root, i, 240);
        }

        time.Advance(TimeSpan.FromSeconds(10));
        string[] lines = RplDodagView.Format(root, time.GetUtcNow()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.StartsWith($"{DodagId} (root) rank 128, MOP 1 NonStoring, version 240, 5 nodes, 5 reachable", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"  └ {Global(1)}", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"    └ {Global(2)}", lines[2], StringComparison.Ordinal);
        Assert.StartsWith($"      └ {Global(4)}", lines[3], StringComparison.Ordinal);
        Assert.StartsWith($"      └ {Global(5)}", lines[4], StringComparison.Ordinal);
        Assert.StartsWith($"    └ {Global(3)}", lines[5], StringComparison.Ordinal);
        Assert.Contains($"via {Global(2)}  hops 3  heard 10s ago  expires in 1790s", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Storing_view_groups_nodes_under_the_roots_next_hop()
    {
        var time = new FakeTimeProvider();
        using var root = new RplRoot(new RplRootOptions { DodagId = DodagId, Mode = RplMode.Storing }, new CapturingSink(), time);
        RplTestMesh line = Line(3);
        for (int i = 1; i <= 3; i++)
        {
            line.DeliverDao(root, i, 240);
        }

        string[] lines = RplDodagView.Format(root, time.GetUtcNow()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith($"  └ {Global(1)}", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"    └ {Global(2)}", lines[2], StringComparison.Ordinal);
        Assert.Contains($"via {LinkLocal(1)}", lines[3], StringComparison.Ordinal);
    }
}
