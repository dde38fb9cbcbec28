using System.Globalization;
using System.Text.RegularExpressions;
using ActiveGate.Devices.Model;

namespace ActiveGate.Devices.Discovery;

/// <summary>
/// Decides from a node's links (and its <c>/dev/info</c>, when it has one) whether it is an
/// ActivePlug, an ActiveDIN or a generic CoAP node, and which resource serves each channel.
/// </summary>
public static partial class DeviceClassifier
{
    public const string InfoResourceType = "ag.info";
    public const string MeterResourceType = "ag.meter";
    public const string RelayResourceType = "ag.relay";

    private static readonly string[] s_quantities = ["power", "energy", "current", "voltage"];

    /// <summary>The path of <c>/dev/info</c> when the node lists it.</summary>
    public static string? FindInfoPath(IReadOnlyList<DiscoveredLink> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        return links.FirstOrDefault(l => l.ResourceTypes.Contains(InfoResourceType))?.Href;
    }

    /// <summary>Classifies the node. A kind announced in <paramref name="info"/> must match the channels found.</summary>
    public static (DeviceKind Kind, List<ChannelRecord> Channels) Classify(IReadOnlyList<DiscoveredLink> links, DeviceInfoPayload? info)
    {
        ArgumentNullException.ThrowIfNull(links);
        var byChannel = new SortedDictionary<int, (string? Meter, string? Relay, Dictionary<string, string> Quantities)>();
        foreach (DiscoveredLink link in links)
        {
            Match match = ChannelPath().Match(link.Href);
            if (!match.Success || !int.TryParse(match.Groups["n"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int channel) || channel is < 1 or > 16)
            {
                continue;
            }

            if (!byChannel.TryGetValue(channel, out var entry))
            {
                entry = (null, null, new Dictionary<string, string>(StringComparer.Ordinal));
            }

            foreach (string rt in link.ResourceTypes)
            {
                if (rt == MeterResourceType)
                {
                    entry.Meter = link.Href;
                }
                else if (rt == RelayResourceType)
                {
                    entry.Relay = link.Href;
                }
                else if (rt.StartsWith("ag.", StringComparison.Ordinal) && s_quantities.Contains(rt[3..]))
                {
                    entry.Quantities[rt[3..]] = link.Href;
                }
            }

            byChannel[channel] = entry;
        }

        // A channel counts when it can be both measured and switched.
        int[] complete = byChannel.Where(c => c.Value.Relay is not null && (c.Value.Meter is not null || c.Value.Quantities.Count > 0))
            .Select(c => c.Key).ToArray();
        DeviceKind kind = Kind(info?.Model, complete);
        if (kind == DeviceKind.Generic)
        {
            return (kind, []);
        }

        double rated = info?.RatedAmperes is double announced && announced > 0
            ? Math.Min(announced, DeviceRatings.RatedCurrentAmperes(kind))
            : DeviceRatings.RatedCurrentAmperes(kind);
        var channels = complete.Select(n => new ChannelRecord
        {
            Number = n,
            RatedCurrentAmperes = rated,
            MeterPath = byChannel[n].Meter,
            RelayPath = byChannel[n].Relay,
            QuantityPaths = byChannel[n].Quantities,
        }).ToList();
        return (kind, channels);
    }

    private static DeviceKind Kind(string? model, int[] channels)
    {
        bool contiguous = channels.Length > 0 && channels[0] == 1 && channels[^1] == channels.Length;
        DeviceKind byShape = !contiguous ? DeviceKind.Generic
            : channels.Length == 1 ? DeviceKind.ActivePlug
            : channels.Length == 3 ? DeviceKind.ActiveDin
            : DeviceKind.Generic;
        DeviceKind? announced = model switch
        {
            "ActivePlug" => DeviceKind.ActivePlug,
            "ActiveDIN" => DeviceKind.ActiveDin,
            _ => null,
        };

        // A node that claims to be a DIN but shows one channel is not trusted to be either.
        return announced is null || announced == byShape ? byShape : DeviceKind.Generic;
    }

    [GeneratedRegex(@"^/ch/(?<n>\d{1,2})/[a-z]+$")]
    private static partial Regex ChannelPath();
}
