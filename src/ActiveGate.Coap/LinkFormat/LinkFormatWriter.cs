using System.Text;

namespace ActiveGate.Coap.LinkFormat;

/// <summary>Writes application/link-format (RFC 6690) and filters links by discovery queries (§4.1).</summary>
public static class LinkFormatWriter
{
    /// <summary>Writes links as <c>&lt;/a&gt;;rt="x";ct=40;obs,&lt;/b&gt;</c>. Numeric values are left unquoted.</summary>
    public static string Write(IEnumerable<CoapLink> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        var builder = new StringBuilder();
        foreach (CoapLink link in links)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append('<').Append(link.Target).Append('>');
            foreach (KeyValuePair<string, string?> attribute in link.Attributes)
            {
                builder.Append(';').Append(attribute.Key);
                if (attribute.Value is null)
                {
                    continue;
                }

                builder.Append('=');
                if (attribute.Value.Length > 0 && attribute.Value.All(char.IsAsciiDigit))
                {
                    builder.Append(attribute.Value);
                }
                else
                {
                    builder.Append('"').Append(attribute.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                }
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// True when <paramref name="link"/> matches every query argument ("rt=temp", "if=core.s*",
    /// "href=/sensors*"). A trailing '*' is a prefix match; space-separated attribute values
    /// (rt, if, rel, ct) match when any one of them matches (RFC 6690 §4.1).
    /// </summary>
    public static bool Matches(CoapLink link, IEnumerable<string> queryArguments)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(queryArguments);
        foreach (string argument in queryArguments)
        {
            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? argument : argument[..equals];
            string? pattern = equals < 0 ? null : argument[(equals + 1)..];
            if (!MatchesOne(link, name, pattern))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchesOne(CoapLink link, string name, string? pattern)
    {
        if (name == "href")
        {
            return pattern is null || MatchesValue(link.Target, pattern);
        }

        foreach (KeyValuePair<string, string?> attribute in link.Attributes)
        {
            if (attribute.Key != name)
            {
                continue;
            }

            if (pattern is null)
            {
                return true;
            }

            string value = attribute.Value ?? string.Empty;
            if (MatchesValue(value, pattern) || value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(v => MatchesValue(v, pattern)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesValue(string value, string pattern) =>
        pattern.EndsWith('*')
            ? value.StartsWith(pattern[..^1], StringComparison.Ordinal)
            : string.Equals(value, pattern, StringComparison.Ordinal);
}
