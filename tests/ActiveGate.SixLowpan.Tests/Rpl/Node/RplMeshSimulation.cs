using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Node;
using ActiveGate.SixLowpan.Rpl.Root;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Rpl.Node;

/// <summary>
/// A discrete-time radio medium for RPL: the real <see cref="RplRoot"/> (index 0) and N real
/// <see cref="RplNodeBehaviour"/> instances exchange encoded ICMPv6 messages over a link graph with
/// per-hop delay and loss, all on one FakeTimeProvider. Global unicast (DAOs to the DODAG id, DAO-ACKs)
/// is forwarded hop by hop with the nodes' own routing decisions. Also used by the RPL benchmark.
/// </summary>
internal sealed class RplMeshSimulation : IDisposable
{
    private readonly PriorityQueue<Action, (long Ticks, long Order)> _queue = new();
    private readonly Random _random;
    private readonly HashSet<(int, int)> _links = [];
    private readonly bool[] _removed;
    private long _order;

    public RplMeshSimulation(int nodeCount, RplMode mode, IEnumerable<(int A, int B)> links, int seed = 1, double lossPerHop = 0, RplRootOptions? rootOptions = null)
    {
        _random = new Random(seed);
        LossPerHop = lossPerHop;
        Mode = mode;
        foreach ((int a, int b) in links)
        {
            Connect(a, b);
        }

        RootMac = MacAddress.FromExtended(0x0012_4B00_0102_0304);
        Ipv6Address dodagId = Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, RootMac);
        Root = new RplRoot(
            rootOptions ?? new RplRootOptions { DodagId = dodagId, Mode = mode },
            new Sink(this, 0),
            Time,
            random: new Random(seed));
        Nodes = new RplNodeBehaviour[nodeCount + 1];
        _removed = new bool[nodeCount + 1];
        for (int i = 1; i <= nodeCount; i++)
        {
            MacAddress mac = Mac(i);
            RplNodeOptions options = mode == RplMode.NonStoring ? RplNodeOptions.ContikiNgRplLite(mac) : RplNodeOptions.Contiki30Storing(mac);
            int index = i;
            Nodes[i] = new RplNodeBehaviour(options, new Sink(this, i), Time, new Random(seed * 7919 + i))
            {
                LinkMetric = neighbour => IsLinked(index, IndexOf(neighbour)) ? (ushort)128 : (ushort)30000,
            };
        }
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public RplMode Mode { get; }

    public RplRoot Root { get; }

    /// <summary>Nodes[1..N]; Nodes[0] is unused (the root).</summary>
    public RplNodeBehaviour[] Nodes { get; }

    public MacAddress RootMac { get; }

    public int Count => Nodes.Length - 1;

    public double LossPerHop { get; set; }

    public TimeSpan HopDelay { get; set; } = TimeSpan.FromMilliseconds(8);

    public long MessagesDelivered { get; private set; }

    public long MessagesLost { get; private set; }

    public static MacAddress Mac(int i) => MacAddress.FromExtended(0x0012_4B00_0000_0000UL | (uint)i);

    public Ipv6Address LinkLocal(int i) => i == 0 ? Ipv6Address.LinkLocal(RootMac) : Nodes[i].LinkLocalAddress;

    public Ipv6Address Global(int i) => i == 0 ? Root.Options.DodagId : Ipv6Address.FromPrefix(Root.Options.Prefix, Mac(i));

    public void Connect(int a, int b) => _links.Add(a < b ? (a, b) : (b, a));

    public void Disconnect(int a, int b) => _links.Remove(a < b ? (a, b) : (b, a));

    public bool IsLinked(int a, int b) => a >= 0 && b >= 0 && _links.Contains(a < b ? (a, b) : (b, a));

    /// <summary>Takes a node out of the air (it stops hearing and being heard).</summary>
    public void Remove(int i)
    {
        _removed[i] = true;
        Nodes[i].Dispose();
    }

    public void Start()
    {
        Root.Start();
        for (int i = 1; i <= Count; i++)
        {
            Nodes[i].Start();
        }
    }

    /// <summary>Runs until <paramref name="condition"/> holds (checked every <paramref name="check"/>) or <paramref name="limit"/> passes; returns the simulated time taken or null.</summary>
    public TimeSpan? RunUntil(Func<bool> condition, TimeSpan limit, TimeSpan? check = null)
    {
        DateTimeOffset start = Time.GetUtcNow();
        TimeSpan every = check ?? TimeSpan.FromMilliseconds(250);
        DateTimeOffset nextCheck = start;
        while (Time.GetUtcNow() - start < limit)
        {
            if (Time.GetUtcNow() >= nextCheck)
            {
                if (condition())
                {
                    return Time.GetUtcNow() - start;
                }

                nextCheck += every;
            }

            Step();
        }

        return condition() ? Time.GetUtcNow() - start : null;
    }

    public void Run(TimeSpan duration) => RunUntil(() => false, duration);

    /// <summary>True when the root has a complete downward route to every node still on the air.</summary>
    public bool AllReachable()
    {
        int reachable = 0;
        int alive = 0;
        for (int i = 1; i <= Count; i++)
        {
            if (_removed[i])
            {
                continue;
            }

            alive++;
            if (Root.TryGetNextHop(Global(i), out _) && (Mode == RplMode.Storing || Root.GetSourceRoute(Global(i)) is not null))
            {
                reachable++;
            }
        }

        return reachable == alive;
    }

    /// <summary>The path root → … → i following the nodes' actual preferred parents (index list without the root).</summary>
    public int[] ParentChain(int i)
    {
        var chain = new List<int> { i };
        int current = i;
        for (int guard = 0; guard < Count; guard++)
        {
            if (Nodes[current].PreferredParent is not { } parent)
            {
                return [];
            }

            int p = IndexOf(parent);
            if (p == 0)
            {
                chain.Reverse();
                return [.. chain];
            }

            chain.Add(p);
            current = p;
        }

        return [];
    }

    public void Dispose()
    {
        Root.Dispose();
        for (int i = 1; i <= Count; i++)
        {
            Nodes[i].Dispose();
        }
    }

    private int IndexOf(Ipv6Address address)
    {
        ulong iid = address.Low;
        if (iid == InterfaceIdentifier.FromMac(RootMac))
        {
            return 0;
        }

        int i = (int)(iid & 0xFFFF);
        return i >= 1 && i <= Count && InterfaceIdentifier.FromMac(Mac(i)) == iid ? i : -1;
    }

    private void Step()
    {
        Time.Advance(TimeSpan.FromMilliseconds(4));
        long now = Time.GetUtcNow().UtcTicks;
        while (_queue.TryPeek(out _, out (long Ticks, long Order) at) && at.Ticks <= now)
        {
            _queue.Dequeue()();
        }
    }

    private void Schedule(TimeSpan delay, Action action) =>
        _queue.Enqueue(action, (Time.GetUtcNow().UtcTicks + delay.Ticks, _order++));

    private bool Lost()
    {
        if (LossPerHop > 0 && _random.NextDouble() < LossPerHop)
        {
            MessagesLost++;
            return true;
        }

        return false;
    }

    private void Transmit(int from, RplOutgoingMessage message)
    {
        if (_removed[from])
        {
            return;
        }

        byte[] bytes = message.Icmpv6Message.ToArray();
        if (message.Destination.IsMulticast || message.Destination.IsLinkLocal)
        {
            for (int to = 0; to <= Count; to++)
            {
                if (to == from || !IsLinked(from, to) || (!message.Destination.IsMulticast && LinkLocal(to) != message.Destination))
                {
                    continue;
                }

                int target = to;
                if (!Lost())
                {
                    Schedule(HopDelay, () => Deliver(target, from, message, bytes));
                }
            }

            return;
        }

        // Global unicast: walk the route the senders would use, hop by hop.
        int[]? path = Path(from, message.Destination);
        if (path is null)
        {
            MessagesLost++;
            return;
        }

        for (int hop = 1; hop < path.Length; hop++)
        {
            if (!IsLinked(path[hop - 1], path[hop]) || _removed[path[hop]] || Lost())
            {
                MessagesLost++;
                return;
            }
        }

        int last = path[^1];
        int previous = path.Length > 1 ? path[^2] : from;
        Schedule(HopDelay * (path.Length - 1), () => Deliver(last, previous, message, bytes));
    }

    private int[]? Path(int from, Ipv6Address destination)
    {
        int target = IndexOf(destination);
        if (target < 0)
        {
            return null;
        }

        var path = new List<int> { from };
        if (from == 0)
        {
            if (Mode == RplMode.NonStoring)
            {
                IReadOnlyList<Ipv6Address>? via = Root.GetSourceRoute(destination);
                if (via is null)
                {
                    return null;
                }

                path.AddRange(via.Select(IndexOf));
                path.Add(target);
                return [.. path];
            }

            if (!Root.TryGetNextHop(destination, out Ipv6Address first))
            {
                return null;
            }

            path.Add(IndexOf(first));
        }

        // Hop by hop with each node's own decision (up to the parent, or down a stored route).
        for (int guard = 0; guard <= Count && path[^1] != target; guard++)
        {
            int at = path[^1];
            if (at <= 0 || _removed[at] || !Nodes[at].TryGetNextHop(destination, out Ipv6Address next))
            {
                return null;
            }

            path.Add(IndexOf(next));
        }

        return path[^1] == target ? [.. path] : null;
    }

    private void Deliver(int to, int linkFrom, RplOutgoingMessage message, byte[] bytes)
    {
        if (_removed[to])
        {
            return;
        }

        MessagesDelivered++;
        var context = new RplReceiveContext(message.Source, message.Destination, linkFrom == 0 ? RootMac : Mac(linkFrom));
        if (to == 0)
        {
            Root.HandleIcmp(context, bytes);
        }
        else
        {
            Nodes[to].HandleIcmp(context, bytes);
        }
    }

    private sealed class Sink(RplMeshSimulation simulation, int index) : IRplMessageSink
    {
        public void Send(in RplOutgoingMessage message) => simulation.Transmit(index, message);
    }
}

/// <summary>Link graphs for the simulation (index 0 = root).</summary>
internal static class SimTopology
{
    public static IEnumerable<(int, int)> Line(int n) => Enumerable.Range(1, n).Select(i => (i - 1, i));

    public static IEnumerable<(int, int)> Tree(int n) => Enumerable.Range(1, n).Select(i => (i <= 1 ? 0 : i / 2, i));

    /// <summary>width×height grid with 4-neighbour links; the root sits next to node 1 at (0,0).</summary>
    public static IEnumerable<(int, int)> Grid(int width, int height)
    {
        yield return (0, 1);
        for (int i = 1; i <= width * height; i++)
        {
            int x = (i - 1) % width;
            if (x + 1 < width)
            {
                yield return (i, i + 1);
            }

            if (i + width <= width * height)
            {
                yield return (i, i + width);
            }
        }
    }

    /// <summary>Random geometric graph: nodes uniform in a square, linked within <paramref name="range"/>; the root in a corner. Connected by construction (retries).</summary>
    public static List<(int, int)> Random(int n, double range, int seed)
    {
        var random = new Random(seed);
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var points = new (double X, double Y)[n + 1];
            points[0] = (0, 0);
            for (int i = 1; i <= n; i++)
            {
                points[i] = (random.NextDouble(), random.NextDouble());
            }

            var links = new List<(int, int)>();
            for (int a = 0; a <= n; a++)
            {
                for (int b = a + 1; b <= n; b++)
                {
                    double dx = points[a].X - points[b].X;
                    double dy = points[a].Y - points[b].Y;
                    if ((dx * dx) + (dy * dy) <= range * range)
                    {
                        links.Add((a, b));
                    }
                }
            }

            if (IsConnected(n, links))
            {
                return links;
            }
        }

        throw new InvalidOperationException("No connected layout found; raise the range.");
    }

    /// <summary>Hop distance from the root for every node (breadth-first).</summary>
    public static int[] Depths(int n, IEnumerable<(int, int)> links)
    {
        var adjacency = Enumerable.Range(0, n + 1).Select(_ => new List<int>()).ToArray();
        foreach ((int a, int b) in links)
        {
            adjacency[a].Add(b);
            adjacency[b].Add(a);
        }

        int[] depth = Enumerable.Repeat(-1, n + 1).ToArray();
        depth[0] = 0;
        var queue = new Queue<int>([0]);
        while (queue.Count > 0)
        {
            int v = queue.Dequeue();
            foreach (int w in adjacency[v].Where(w => depth[w] < 0))
            {
                depth[w] = depth[v] + 1;
                queue.Enqueue(w);
            }
        }

        return depth;
    }

    private static bool IsConnected(int n, List<(int, int)> links) => Depths(n, links).All(d => d >= 0);
}
