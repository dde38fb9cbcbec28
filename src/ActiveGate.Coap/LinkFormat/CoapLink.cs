using System.Globalization;

namespace ActiveGate.Coap.LinkFormat;

/// <summary>One link of an RFC 6690 document: a target URI reference and its attributes (in order).</summary>
public sealed class CoapLink
{
    /// <summary>Creates a link to <paramref name="target"/> ("/sensors/temp").</summary>
    public CoapLink(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = target;
    }

    /// <summary>The URI reference between the angle brackets.</summary>
    public string Target { get; }

    /// <summary>Attributes in document order; a null value is a flag attribute such as <c>obs</c>.</summary>
    public IList<KeyValuePair<string, string?>> Attributes { get; } = [];

    /// <summary>Resource types (<c>rt</c>, space-separated).</summary>
    public IReadOnlyList<string> ResourceTypes => GetSpaceSeparated("rt");

    /// <summary>Interface descriptions (<c>if</c>, space-separated).</summary>
    public IReadOnlyList<string> InterfaceDescriptions => GetSpaceSeparated("if");

    /// <summary>Content formats (<c>ct</c>, space-separated numbers).</summary>
    public IReadOnlyList<int> ContentFormats =>
        GetSpaceSeparated("ct").Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1).Where(n => n >= 0).ToList();

    /// <summary>True when the link carries the <c>obs</c> attribute (CoRE observe).</summary>
    public bool IsObservable => Attributes.Any(a => a.Key == "obs");

    /// <summary>The <c>title</c>, or null.</summary>
    public string? Title => GetAttribute("title");

    /// <summary>Adds an attribute (null value for a flag).</summary>
    public CoapLink Add(string name, string? value = null)
    {
        Attributes.Add(new KeyValuePair<string, string?>(name, value));
        return this;
    }

    /// <summary>The first value of an attribute, or null.</summary>
    public string? GetAttribute(string name) => Attributes.FirstOrDefault(a => a.Key == name).Value;

    private List<string> GetSpaceSeparated(string name) =>
        Attributes.Where(a => a.Key == name && a.Value is not null)
            .SelectMany(a => a.Value!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();

    /// <inheritdoc/>
    public override string ToString() => LinkFormatWriter.Write([this]);
}
