using System.Diagnostics;
using System.Globalization;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.SixLowpan.Tests.Rpl.Node;
using Microsoft.Extensions.Time.Testing;

// RPL benchmark (issue 5):
//  1. simulated-time convergence: the real RplRoot plus N RplNodeBehaviour nodes (Contiki-NG RPL-Lite
//     or Contiki 3.0 storing timing: Imin 4.096 s, DAO delay 4 s ± 50 %, DIS every 30/60 s, 8 ms per hop)
//     until the root has a downward route to every node;
//  2. the root's CPU per DAO / per route lookup and its memory per node.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int[] sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [50, 200];

Console.WriteLine("## Convergence (simulated time until every node has a downward route)");
Console.WriteLine("| nodes | topology | mode | loss/hop | max hops | converged after (s) | messages | wall (s) |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
foreach (int n in sizes)
{
    double range = Math.Sqrt(8.0 / (Math.PI * n)); // about 8 neighbours each
    int width = n <= 50 ? 10 : 20;
    var topologies = new (string Name, List<(int, int)> Links)[]
    {
        ("random", SimTopology.Random(n, range, seed: n)),
        ($"grid {width}x{n / width}", SimTopology.Grid(width, n / width).ToList()),
    };
    foreach ((string name, List<(int, int)> links) in topologies)
    {
        foreach (RplMode mode in new[] { RplMode.NonStoring, RplMode.Storing })
        {
            foreach (double loss in new[] { 0.0, 0.05 })
            {
                var wall = Stopwatch.StartNew();
                using var sim = new RplMeshSimulation(n, mode, links, seed: 17, lossPerHop: loss);
                sim.Start();
                TimeSpan? converged = sim.RunUntil(sim.AllReachable, TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(100));
                int maxHops = SimTopology.Depths(n, links).Max();
                int reachable = sim.Root.GetNodes().Count(node => node.Reachable);
                string result = converged is { } c
                    ? c.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)
                    : $"not in 30 min ({reachable}/{n} routed)";
                Console.WriteLine($"| {n} | {name} | {mode} | {loss:P0} | {maxHops} | {result} | {sim.MessagesDelivered} | {wall.Elapsed.TotalSeconds:F1} |");
            }
        }
    }
}

Console.WriteLine();
Console.WriteLine("## Root cost per node (non-storing, random tree, DAO refreshes)");
Console.WriteLine("| nodes | max hops | bytes/node (table) | µs per DAO (parse+route+ACK) | bytes alloc/DAO | µs per source route lookup | CPU per node at 1 DAO/15 min |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
foreach (int n in sizes.Append(1000))
{
    RootCost(n);
}

static void RootCost(int n)
{
    var random = new Random(n);
    MacAddress rootMac = MacAddress.FromExtended(0x0012_4B00_0102_0304);
    Ipv6Address dodagId = Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, rootMac);
    Ipv6Address Global(int i) => i == 0 ? dodagId : Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, MacAddress.FromExtended(0x0012_4B00_0000_0000UL | (uint)i));

    // Random recursive tree: node i hangs under a random earlier node (mean depth ~ ln n).
    int[] parent = new int[n + 1];
    int[] depth = new int[n + 1];
    for (int i = 2; i <= n; i++)
    {
        parent[i] = random.Next(1, i);
        depth[i] = depth[parent[i]] + 1;
    }

    byte[][] daos = new byte[n + 1][];
    for (int i = 1; i <= n; i++)
    {
        var dao = new RplDao
        {
            InstanceId = 0x1E,
            AckRequested = true,
            Sequence = 240,
            Options = [RplTargetOption.ForAddress(Global(i)), new TransitInformationOption { PathLifetime = 30, ParentAddress = Global(parent[i]) }],
        };
        daos[i] = RplMessageCodec.Encode(dao, Global(i), dodagId);
    }

    var time = new FakeTimeProvider();
    var sink = new NullSink();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    long before = GC.GetTotalMemory(forceFullCollection: true);
    var root = new RplRoot(new RplRootOptions { DodagId = dodagId, MaxNodes = n + 1, MaxPathLength = 64 }, sink, time);
    for (int i = 1; i <= n; i++)
    {
        root.HandleIcmp(new RplReceiveContext(Global(i), dodagId), daos[i]);
    }

    long after = GC.GetTotalMemory(forceFullCollection: true);
    if (root.GetNodes().Count != n)
    {
        throw new InvalidOperationException("table incomplete");
    }

    // Steady state: refresh DAOs round-robin.
    int rounds = Math.Max(20, 200_000 / n);
    for (int warm = 1; warm <= n; warm++)
    {
        root.HandleIcmp(new RplReceiveContext(Global(warm), dodagId), daos[warm]);
    }

    long allocBefore = GC.GetAllocatedBytesForCurrentThread();
    var watch = Stopwatch.StartNew();
    for (int r = 0; r < rounds; r++)
    {
        for (int i = 1; i <= n; i++)
        {
            root.HandleIcmp(new RplReceiveContext(Global(i), dodagId), daos[i]);
        }
    }

    watch.Stop();
    long daoCount = (long)rounds * n;
    double usPerDao = watch.Elapsed.TotalMicroseconds / daoCount;
    double allocPerDao = (GC.GetAllocatedBytesForCurrentThread() - allocBefore) / (double)daoCount;

    Span<Ipv6Address> via = stackalloc Ipv6Address[64];
    watch.Restart();
    long lookups = 0;
    for (int r = 0; r < rounds; r++)
    {
        for (int i = 1; i <= n; i++)
        {
            if (!root.TryGetSourceRoute(Global(i), via, out _))
            {
                throw new InvalidOperationException($"no route to node {i}");
            }

            lookups++;
        }
    }

    watch.Stop();
    double usPerLookup = watch.Elapsed.TotalMicroseconds / lookups;

    // A node refreshes its DAO at half the 30 min lifetime: 4 DAOs per hour.
    double cpuFractionPerNode = usPerDao * 4 / 3_600_000_000.0;
    Console.WriteLine(
        $"| {n} | {depth.Max() + 1} | {(after - before) / (double)n:F0} | {usPerDao:F2} | {allocPerDao:F0} | {usPerLookup:F3} | {cpuFractionPerNode * 100:E1} % |");
    root.Dispose();
    GC.KeepAlive(sink);
}

internal sealed class NullSink : IRplMessageSink
{
    public long Count { get; private set; }

    public void Send(in RplOutgoingMessage message) => Count++;
}
