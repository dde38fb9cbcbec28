using System.Globalization;
using System.Reflection;
using System.Xml;
using System.Xml.Linq;

namespace ActiveGate.Lwm2m.Model;

/// <summary>The DDF XML was not a usable LwM2M object definition.</summary>
public sealed class DdfFormatException : Exception
{
    public DdfFormatException()
    {
    }

    public DdfFormatException(string message)
        : base(message)
    {
    }

    public DdfFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Reads OMA DDF XML (LWM2M-v1_1.xsd) into <see cref="ObjectDefinition"/>s. The standard objects
/// ship embedded in this assembly (<c>ddf/{id}.xml</c>); applications add their own (the transport
/// policy object) from a file or a stream.
/// </summary>
public static class DdfLoader
{
    private static readonly Lock s_cacheGate = new();
    private static readonly Dictionary<int, ObjectDefinition> s_embedded = new();

    /// <summary>Object ids whose DDF is embedded in this assembly.</summary>
    public static IReadOnlyList<int> EmbeddedObjectIds { get; } = typeof(DdfLoader).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("ddf/", StringComparison.Ordinal) && n.EndsWith(".xml", StringComparison.Ordinal))
        .Select(n => int.Parse(n.AsSpan(4, n.Length - 8), NumberStyles.None, CultureInfo.InvariantCulture))
        .Order()
        .ToArray();

    /// <summary>The embedded definition of a standard object (0, 1, 3, 4, 5).</summary>
    public static ObjectDefinition LoadEmbedded(int objectId)
    {
        lock (s_cacheGate)
        {
            if (s_embedded.TryGetValue(objectId, out var cached))
            {
                return cached;
            }

            using var stream = typeof(DdfLoader).Assembly.GetManifestResourceStream(string.Create(CultureInfo.InvariantCulture, $"ddf/{objectId}.xml"))
                ?? throw new ArgumentOutOfRangeException(nameof(objectId), objectId, "No embedded DDF for this object.");
            var definition = Load(stream).Single();
            s_embedded[objectId] = definition;
            return definition;
        }
    }

    public static IReadOnlyList<ObjectDefinition> LoadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Loads every <c>Object</c> element of a DDF document. DTDs are refused.</summary>
    public static IReadOnlyList<ObjectDefinition> Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        XDocument document;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 4 * 1024 * 1024 };
            using var reader = XmlReader.Create(stream, settings);
            document = XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new DdfFormatException("The DDF is not well-formed XML: " + ex.Message, ex);
        }

        var objects = document.Root?.Elements("Object").Select(ParseObject).ToArray() ?? [];
        if (objects.Length == 0)
        {
            throw new DdfFormatException("The DDF has no <Object> element.");
        }

        return objects;
    }

    private static ObjectDefinition ParseObject(XElement o)
    {
        int id = ParseId(Text(o, "ObjectID"), "ObjectID");
        var resources = o.Element("Resources")?.Elements("Item").Select(ParseResource).ToArray() ?? [];
        return new ObjectDefinition(
            id,
            Text(o, "Name"),
            Text(o, "ObjectURN"),
            Text(o, "ObjectVersion"),
            Text(o, "LWM2MVersion"),
            IsMultiple(Text(o, "MultipleInstances")),
            IsMandatory(Text(o, "Mandatory")),
            resources);
    }

    private static ResourceDefinition ParseResource(XElement item)
    {
        int id = ParseId((string?)item.Attribute("ID") ?? string.Empty, "Item ID");
        string operations = Text(item, "Operations");
        var ops = ResourceOperations.None;
        foreach (char c in operations)
        {
            ops |= c switch
            {
                'R' => ResourceOperations.Read,
                'W' => ResourceOperations.Write,
                'E' => ResourceOperations.Execute,
                _ => throw new DdfFormatException($"Resource {id}: unknown operation '{c}'."),
            };
        }

        var type = ParseType(Text(item, "Type"), id);
        string range = Text(item, "RangeEnumeration");
        (double, double)? numeric = null;
        (int, int)? length = null;
        if (TrySplitRange(range, out double min, out double max))
        {
            if (type is ResourceType.String or ResourceType.Opaque)
            {
                length = ((int)min, (int)max);
            }
            else if (type is ResourceType.Integer or ResourceType.UnsignedInteger or ResourceType.Float)
            {
                numeric = (min, max);
            }
        }

        return new ResourceDefinition(id, Text(item, "Name"), ops, IsMultiple(Text(item, "MultipleInstances")), IsMandatory(Text(item, "Mandatory")), type, range, Text(item, "Units"))
        {
            NumericRange = numeric,
            LengthRange = length,
        };
    }

    /// <summary>Maps the DDF type names (note "Unsigned Integer" with a space, and empty for executables).</summary>
    public static ResourceType ParseType(string text, int resourceId = -1) => text.Trim().ToUpperInvariant() switch
    {
        "" or "NONE" => ResourceType.None,
        "STRING" => ResourceType.String,
        "INTEGER" => ResourceType.Integer,
        "UNSIGNED INTEGER" or "UNSIGNEDINTEGER" => ResourceType.UnsignedInteger,
        "FLOAT" => ResourceType.Float,
        "BOOLEAN" => ResourceType.Boolean,
        "OPAQUE" => ResourceType.Opaque,
        "TIME" => ResourceType.Time,
        "OBJLNK" => ResourceType.ObjectLink,
        "CORELNK" => ResourceType.CoreLink,
        _ => throw new DdfFormatException($"Resource {resourceId}: unknown type '{text}'."),
    };

    private static bool TrySplitRange(string range, out double min, out double max)
    {
        min = max = 0;
        var span = range.AsSpan().Trim();
        int sep = span.IndexOf("..", StringComparison.Ordinal);
        int sepLength = 2;
        if (sep < 0)
        {
            // "a-b" form; skip index 0 so a leading minus sign is not taken as the separator.
            sep = span.Length > 1 ? span[1..].IndexOf('-') : -1;
            sep = sep < 0 ? -1 : sep + 1;
            sepLength = 1;
        }

        if (sep <= 0)
        {
            return false;
        }

        return double.TryParse(span[..sep].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out min)
            && double.TryParse(span[(sep + sepLength)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out max)
            && min <= max;
    }

    private static string Text(XElement parent, string name) => parent.Element(name)?.Value.Trim() ?? string.Empty;

    private static bool IsMultiple(string text) => text.Equals("Multiple", StringComparison.OrdinalIgnoreCase);

    private static bool IsMandatory(string text) => text.Equals("Mandatory", StringComparison.OrdinalIgnoreCase);

    private static int ParseId(string text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int id) && id <= Lwm2mPath.MaxId
            ? id
            : throw new DdfFormatException($"{what} '{text}' is not an id 0..65534.");
}
