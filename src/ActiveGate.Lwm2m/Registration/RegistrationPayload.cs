using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Registration;

/// <summary>
/// The CoRE link payload of Register/Update (Core TS 6.2.1): <c>&lt;/&gt;;rt="oma.lwm2m";ct=110</c>
/// then every object (with <c>ver=</c> when not 1.0, see <see cref="Lwm2mVersion.Announced"/>) and instance, except the Security object.
/// </summary>
public static class RegistrationPayload
{
    public static string Build(Lwm2mDataModel model, ushort contentFormat)
    {
        ArgumentNullException.ThrowIfNull(model);
        var writer = new CoreLinkWriter();
        writer.Link("/").QuotedAttribute("rt", "oma.lwm2m").Attribute("ct", contentFormat);
        foreach (var (definition, instances) in model.DescribeObjects())
        {
            if (definition.Id is 0 or 21)
            {
                continue;   // Security and OSCORE hold credentials: never announced.
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

            foreach (int id in instances)
            {
                writer.Link(new Lwm2mPath(definition.Id, id).ToString());
            }
        }

        return writer.ToString();
    }
}
