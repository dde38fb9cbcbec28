using System.Globalization;
using System.Text;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Root;

/// <summary>
/// Renders the root's node table as the DODAG tree <c>activegate routes</c> prints: one line per
/// node (address, rank, parent or next hop, hops, last heard, path lifetime left), children indented
/// under their parent. Non-storing mode knows the whole tree; storing mode knows only the root's next
/// hops, so nodes are grouped under the neighbour their route goes through.
/// </summary>
public static class RplDodagView
{
    /// <summary>Formats the tree; <paramref name="now"/> makes "last heard" and "expires" relative.</summary>
    public static string Format(RplRoot root, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(root);
        IReadOnlyList<RplNodeInfo> nodes = root.GetNodes();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{root.Options.DodagId} (root) rank {root.Rank}, MOP {(int)root.Mode} {root.Mode}, version {root.Version}, {nodes.Count} nodes, {nodes.Count(n => n.Reachable)} reachable\n");

        // Children by the hop above them: the advertised parent (non-storing) or the root's next hop (storing).
        var byAddress = nodes.ToDictionary(n => n.Address);
        var children = new Dictionary<Ipv6Address, List<RplNodeInfo>>();
        var roots = new List<RplNodeInfo>();
        foreach (RplNodeInfo node in nodes.OrderBy(n => n.HopCount ?? int.MaxValue).ThenBy(n => n.Address.Low))
        {
            Ipv6Address? above = root.Mode == RplMode.NonStoring ? node.Parent : Normalize(root, node.NextHop);
            if (above is { } parent && parent != node.Address && byAddress.ContainsKey(parent))
            {
                (children.TryGetValue(parent, out List<RplNodeInfo>? list) ? list : children[parent] = []).Add(node);
            }
            else
            {
                roots.Add(node);
            }
        }

        var printed = new HashSet<Ipv6Address>();
        foreach (RplNodeInfo node in roots)
        {
            Append(text, node, children, printed, depth: 1, now);
        }

        // Nodes caught in a parent loop (never reached from the top) still get a line.
        foreach (RplNodeInfo node in nodes.Where(n => !printed.Contains(n.Address)))
        {
            Append(text, node, children, printed, depth: 1, now);
        }

        return text.ToString();
    }

    private static Ipv6Address? Normalize(RplRoot root, Ipv6Address? address) =>
        address is { } a && a.IsLinkLocal ? root.Options.Prefix.Overlay(a) : address;

    private static void Append(StringBuilder text, RplNodeInfo node, Dictionary<Ipv6Address, List<RplNodeInfo>> children, HashSet<Ipv6Address> printed, int depth, DateTimeOffset now)
    {
        if (!printed.Add(node.Address))
        {
            return;
        }

        string expires = node.ExpiresAt is { } at ? Seconds(at - now) : "never";
        text.Append(' ', depth * 2)
            .Append(CultureInfo.InvariantCulture, $"└ {node.Address}  rank {(node.Rank?.ToString(CultureInfo.InvariantCulture) ?? "?")}")
            .Append(CultureInfo.InvariantCulture, $"  via {(node.Parent ?? node.NextHop)?.ToString() ?? "?"}  hops {(node.HopCount?.ToString(CultureInfo.InvariantCulture) ?? "?")}")
            .Append(CultureInfo.InvariantCulture, $"  heard {Seconds(now - node.LastHeard)} ago  expires in {expires}")
            .Append(node.Reachable ? string.Empty : "  (no route)")
            .Append('\n');
        if (children.TryGetValue(node.Address, out List<RplNodeInfo>? below))
        {
            foreach (RplNodeInfo child in below)
            {
                Append(text, child, children, printed, depth + 1, now);
            }
        }
    }

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, span.TotalSeconds):F0}s");
}
