using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Operations;

/// <summary>Builds the CoRE link payload of a Discover (Core TS 6.3.4 / Bootstrap-Discover 6.1.7.6).</summary>
public static class DiscoverWriter
{
    /// <summary>Device-management Discover: nodes below the path with their attached attributes and dim.</summary>
    public static string Discover(Lwm2mDataModel model, AttributeStore attributes, Lwm2mPath path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(attributes);
        var writer = new CoreLinkWriter();
        foreach (var (node, dimension) in model.Discover(path, Lwm2mOrigin.DeviceManagement))
        {
            writer.Link(node.ToString());
            if (node.IsObject && model.GetObject(node.ObjectId) is { } def && Lwm2mVersion.Announced(def) is not "1.0" and var ver)
            {
                writer.Attribute("ver", ver);
            }

            if (dimension is int dim)
            {
                writer.Attribute("dim", dim);
            }

            attributes.Get(node).WriteTo(writer);
        }

        return writer.ToString();
    }

    /// <summary>
    /// Bootstrap-Discover: <c>&lt;/&gt;;lwm2m=1.1</c>, then objects and instances; /0 and /1 instances
    /// carry <c>ssid</c> and /0 the server <c>uri</c> (Core TS 6.1.7.6).
    /// </summary>
    public static string BootstrapDiscover(Lwm2mDataModel model, Lwm2mPath path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var writer = new CoreLinkWriter();
        writer.Link("/").Attribute("lwm2m", Lwm2mVersion.Enabler);
        foreach (var (definition, instances) in model.DescribeObjects())
        {
            if (!path.IsRoot && definition.Id != path.ObjectId)
            {
                continue;
            }

            string version = Lwm2mVersion.Announced(definition);
            if (instances.Count == 0 || version != "1.0")
            {
                writer.Link("/" + definition.Id);
                if (version != "1.0")
                {
                    writer.Attribute("ver", version);
                }
            }

            var enabler = model.GetEnabler(definition.Id)!;
            foreach (int id in instances)
            {
                writer.Link(new Lwm2mPath(definition.Id, id).ToString());
                var view = enabler.GetInstance(id)?.Current;
                if (definition.Id == 0 && view is not null)
                {
                    if (view.GetBoolean(1) != true && view.GetInteger(10) is long ssid)
                    {
                        writer.Attribute("ssid", ssid);
                    }

                    if (view.GetString(0) is { } uri)
                    {
                        writer.QuotedAttribute("uri", uri);
                    }
                }
                else if (definition.Id == 1 && view?.GetInteger(0) is long ssid1)
                {
                    writer.Attribute("ssid", ssid1);
                }
            }
        }

        return writer.ToString();
    }
}
