namespace ActiveGate.Simulator.Mesh;

/// <summary>Shapes of the simulated radio neighbourhood.</summary>
public enum TopologyKind
{
    /// <summary>Everybody hears everybody: a star around the radio board (single hop).</summary>
    Single,

    /// <summary>Chains of <c>--hops</c> nodes hanging off the radio board (several chains when there are more nodes).</summary>
    Line,

    /// <summary>A balanced tree of depth <c>--hops</c> below the radio board, the smallest fan-out that holds every node.</summary>
    Tree,

    /// <summary>A square grid with 4-neighbour links; the radio board at one corner.</summary>
    Grid,

    /// <summary>A random geometric graph (unit square, the board in a corner), connected, from <c>--seed</c>.</summary>
    Random,
}

/// <summary>
/// Link graphs over station indices: 0 is the radio board (the DODAG root), 1..N are the nodes in
/// creation order. Links are undirected (a radio link is heard both ways).
/// </summary>
public static class MeshTopology
{
    /// <summary>Builds the links of <paramref name="kind"/> for <paramref name="nodes"/> nodes; null for <see cref="TopologyKind.Single"/> (no graph: all in range).</summary>
    /// <param name="kind">Shape.</param>
    /// <param name="nodes">Number of nodes (not counting the board).</param>
    /// <param name="hops">Depth for line and tree (0 = default: all nodes in one line, depth 3 for trees).</param>
    /// <param name="seed">Seed of the random layout.</param>
    public static IReadOnlyList<(int A, int B)>? Build(TopologyKind kind, int nodes, int hops = 0, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(hops);
        return kind switch
        {
            TopologyKind.Single => null,
            TopologyKind.Line => Line(nodes, hops == 0 ? Math.Max(1, nodes) : hops),
            TopologyKind.Tree => Tree(nodes, hops == 0 ? 3 : hops),
            TopologyKind.Grid => Grid(nodes),
            TopologyKind.Random => RandomGeometric(nodes, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    /// <summary>Hop distance of every station from the board (index 0), -1 when unreachable; all 1 without a graph.</summary>
    public static int[] Depths(int nodes, IReadOnlyList<(int A, int B)>? links)
    {
        int[] depth = new int[nodes + 1];
        if (links is null)
        {
            Array.Fill(depth, 1);
            depth[0] = 0;
            return depth;
        }

        var adjacency = new List<int>[nodes + 1];
        for (int i = 0; i <= nodes; i++)
        {
            adjacency[i] = [];
        }

        foreach ((int a, int b) in links)
        {
            adjacency[a].Add(b);
            adjacency[b].Add(a);
        }

        Array.Fill(depth, -1);
        depth[0] = 0;
        var queue = new Queue<int>();
        queue.Enqueue(0);
        while (queue.TryDequeue(out int v))
        {
            foreach (int w in adjacency[v])
            {
                if (depth[w] < 0)
                {
                    depth[w] = depth[v] + 1;
                    queue.Enqueue(w);
                }
            }
        }

        return depth;
    }

    // Node i (1-based) is position (i-1) % hops of chain (i-1) / hops; position 0 hangs off the board.
    private static List<(int, int)> Line(int nodes, int hops)
    {
        var links = new List<(int, int)>(nodes);
        for (int i = 1; i <= nodes; i++)
        {
            links.Add(((i - 1) % hops == 0 ? 0 : i - 1, i));
        }

        return links;
    }

    // Breadth-first numbering with fan-out b: the parent of i is (i - 1) / b (0 = board).
    private static List<(int, int)> Tree(int nodes, int depth)
    {
        int fanOut = 2;
        while (Capacity(fanOut, depth) < nodes)
        {
            fanOut++;
        }

        var links = new List<(int, int)>(nodes);
        for (int i = 1; i <= nodes; i++)
        {
            links.Add(((i - 1) / fanOut, i));
        }

        return links;

        static long Capacity(int b, int d)
        {
            long total = 0;
            long level = 1;
            for (int k = 1; k <= d && total < int.MaxValue; k++)
            {
                level *= b;
                total += level;
            }

            return total;
        }
    }

    // Station s sits at (s % width, s / width); the board is station 0 at the corner.
    private static List<(int, int)> Grid(int nodes)
    {
        int stations = nodes + 1;
        int width = (int)Math.Ceiling(Math.Sqrt(stations));
        var links = new List<(int, int)>();
        for (int s = 0; s < stations; s++)
        {
            if ((s % width) + 1 < width && s + 1 < stations)
            {
                links.Add((s, s + 1));
            }

            if (s + width < stations)
            {
                links.Add((s, s + width));
            }
        }

        return links;
    }

    // Uniform points in the unit square, linked within a range giving ~6 neighbours on average;
    // redrawn (and the range widened slowly) until the graph is connected.
    private static List<(int, int)> RandomGeometric(int nodes, int seed)
    {
#pragma warning disable CA5394 // Simulated placement, not security.
        var random = new Random(seed);
        double range = Math.Min(1.5, Math.Sqrt(6.0 / (Math.PI * Math.Max(1, nodes))));
        for (int attempt = 0; ; attempt++)
        {
            var points = new (double X, double Y)[nodes + 1];
            for (int i = 1; i <= nodes; i++)
            {
                points[i] = (random.NextDouble(), random.NextDouble());
            }
#pragma warning restore CA5394

            var links = new List<(int, int)>();
            for (int a = 0; a <= nodes; a++)
            {
                for (int b = a + 1; b <= nodes; b++)
                {
                    double dx = points[a].X - points[b].X;
                    double dy = points[a].Y - points[b].Y;
                    if ((dx * dx) + (dy * dy) <= range * range)
                    {
                        links.Add((a, b));
                    }
                }
            }

            if (Array.TrueForAll(Depths(nodes, links), d => d >= 0))
            {
                return links;
            }

            if (attempt % 20 == 19)
            {
                range *= 1.1;
            }
        }
    }
}
