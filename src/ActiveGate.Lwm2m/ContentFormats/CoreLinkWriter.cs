using System.Globalization;
using System.Text;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>Writes CoRE Link Format (RFC 6690, content format 40) for Register/Update and Discover payloads.</summary>
public sealed class CoreLinkWriter
{
    private readonly StringBuilder _builder = new(256);

    /// <summary>Starts a new link <c>&lt;uri&gt;</c>.</summary>
    public CoreLinkWriter Link(string uri)
    {
        if (_builder.Length > 0)
        {
            _builder.Append(',');
        }

        _builder.Append('<').Append(uri).Append('>');
        return this;
    }

    /// <summary>Adds <c>;name=value</c> (a token value, unquoted).</summary>
    public CoreLinkWriter Attribute(string name, string value)
    {
        _builder.Append(';').Append(name).Append('=').Append(value);
        return this;
    }

    public CoreLinkWriter Attribute(string name, double value) =>
        Attribute(name, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Adds <c>;name="value"</c>.</summary>
    public CoreLinkWriter QuotedAttribute(string name, string value)
    {
        _builder.Append(';').Append(name).Append("=\"").Append(value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        return this;
    }

    public int Length => _builder.Length;

    public override string ToString() => _builder.ToString();

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_builder.ToString());
}
