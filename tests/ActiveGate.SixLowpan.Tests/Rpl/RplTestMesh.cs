using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Root;

namespace ActiveGate.SixLowpan.Tests.Rpl;

/// <summary>Collects what the root sends.</summary>
internal sealed class CapturingSink : IRplMessageSink
{
    private readonly Lock _gate = new();
    private readonly List<RplOutgoingMessage> _messages = [];

    public IReadOnlyList<RplOutgoingMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToArray();
            }
        }
    }

    public void Send(in RplOutgoingMessage message)
    {
        lock (_gate)
        {
            _messages.Add(message);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _messages.Clear();
        }
    }

    public IEnumerable<(RplOutgoingMessage Message, T Decoded)> OfType<T>()
        where T : RplMessage =>
        Messages.Select(m => (m, RplMessageCodec.Read(m.Icmpv6Message.Span))).Where(x => x.Item2 is T).Select(x => (x.m, (T)x.Item2));
}

/// <summary>
/// Synthetic topologies: node i (1..N) has EUI-64 00:12:4b:00:00:00:00:i and a parent index (0 = root).
/// </summary>
internal sealed class RplTestMesh
{
    public static readonly MacAddress RootMac = MacAddress.Parse("00:12:4b:00:01:02:03:04");
    public static readonly Ipv6Address DodagId = Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, RootMac);
    public static readonly Ipv6Address RootLinkLocal = Ipv6Address.LinkLocal(RootMac);

    private RplTestMesh(string name, int[] parents)
    {
        Name = name;
        Parents = parents;
    }

    public string Name { get; }

    /// <summary>Parents[i] is the parent index of node i; Parents[0] is unused (the root).</summary>
    public int[] Parents { get; }

    public int Count => Parents.Length - 1;

    public static MacAddress Mac(int i) => MacAddress.FromExtended(0x0012_4B00_0000_0000UL | (uint)i);

    public static Ipv6Address Global(int i) => i == 0 ? DodagId : Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, Mac(i));

    public static Ipv6Address LinkLocal(int i) => i == 0 ? RootLinkLocal : Ipv6Address.LinkLocal(Mac(i));

    public static RplTestMesh Line(int n) => new("line", Enumerable.Range(0, n + 1).Select(i => Math.Max(0, i - 1)).ToArray());

    /// <summary>Binary tree in heap order: node 1 under the root, node i under i/2.</summary>
    public static RplTestMesh Tree(int n) => new("tree", Enumerable.Range(0, n + 1).Select(i => i <= 1 ? 0 : i / 2).ToArray());

    /// <summary>A width×height grid; the root touches node 1 at (0,0); parents by breadth-first search (4-neighbour links).</summary>
    public static RplTestMesh Grid(int width, int height)
    {
        int n = width * height;
        int[] parents = new int[n + 1];
        int[] depth = Enumerable.Repeat(-1, n + 1).ToArray();
        depth[1] = 1;
        parents[1] = 0;
        var queue = new Queue<int>([1]);
        while (queue.Count > 0)
        {
            int i = queue.Dequeue();
            int x = (i - 1) % width;
            int y = (i - 1) / width;
            foreach ((int dx, int dy) in new[] { (1, 0), (-1, 0), (0, 1), (0, -1) })
            {
                int nx = x + dx;
                int ny = y + dy;
                if (nx < 0 || ny < 0 || nx >= width || ny >= height)
                {
                    continue;
                }

                int j = (ny * width) + nx + 1;
                if (depth[j] < 0)
                {
                    depth[j] = depth[i] + 1;
                    parents[j] = i;
                    queue.Enqueue(j);
                }
            }
        }

        return new RplTestMesh("grid", parents);
    }

    public static RplTestMesh ByName(string name) => name switch
    {
        "line" => Line(20),
        "tree" => Tree(20),
        "grid" => Grid(5, 4),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>Ancestors from the root side down to (excluding) node i: the expected source route.</summary>
    public int[] Via(int i)
    {
        var chain = new List<int>();
        for (int p = Parents[i]; p != 0; p = Parents[p])
        {
            chain.Add(p);
        }

        chain.Reverse();
        return chain.ToArray();
    }

    public int Depth(int i) => Via(i).Length + 1;

    /// <summary>A non-storing DAO as Contiki-NG RPL-Lite sends it (target /128, transit with parent = prefix ‖ parent IID).</summary>
    public static RplDao NonStoringDao(int node, int parent, byte sequence, byte lifetime = 30, byte instance = 0x1E) => new()
    {
        InstanceId = instance,
        AckRequested = true,
        Sequence = sequence,
        Options =
        [
            RplTargetOption.ForAddress(Global(node)),
            new TransitInformationOption { PathLifetime = lifetime, ParentAddress = Global(parent) },
        ],
    };

    /// <summary>A storing-mode DAO as Contiki 3.0 sends it (transit without parent address, no K flag).</summary>
    public static RplDao StoringDao(int node, byte sequence, byte lifetime = 30, byte pathSequence = 240) => new()
    {
        InstanceId = 0x1E,
        Sequence = sequence,
        Options =
        [
            RplTargetOption.ForAddress(Global(node)),
            new TransitInformationOption { PathLifetime = lifetime, PathSequence = pathSequence },
        ],
    };

    /// <summary>Delivers node i's DAO to the root the way it arrives in each mode.</summary>
    public void DeliverDao(RplRoot root, int i, byte sequence, byte lifetime = 30, int? parentOverride = null)
    {
        int parent = parentOverride ?? Parents[i];
        if (root.Mode == RplMode.NonStoring)
        {
            // Unicast to the DODAGID from the node's global address, relayed upwards unchanged.
            RplDao dao = NonStoringDao(i, parent, sequence, lifetime);
            Deliver(root, new RplReceiveContext(Global(i), DodagId, Mac(Via(i).FirstOrDefault(i))), dao);
        }
        else
        {
            // Hop by hop: the root hears it from its child on the path, link-local.
            int[] via = parentOverride is null ? Via(i) : parent == 0 ? [] : [.. Via(parent), parent];
            int firstHop = via.Length > 0 ? via[0] : i;
            Deliver(root, new RplReceiveContext(LinkLocal(firstHop), RootLinkLocal, Mac(firstHop)), StoringDao(i, sequence, lifetime, pathSequence: sequence));
        }
    }

    public static void Deliver(RplRoot root, RplReceiveContext context, RplMessage message)
    {
        byte[] bytes = RplMessageCodec.Encode(message, context.Source, context.Destination);
        Assert.True(root.HandleIcmp(context, bytes));
    }
}
