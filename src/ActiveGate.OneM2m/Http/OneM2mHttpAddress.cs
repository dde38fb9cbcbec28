using System.Text;

namespace ActiveGate.OneM2m.Http;

/// <summary>Maps a oneM2M <c>to</c> onto an HTTP request path (TS-0009 §6.2.2).</summary>
public static class OneM2mHttpAddress
{
    /// <summary>
    /// CSE-relative <c>cse-in/AE/cnt</c> → <c>/cse-in/AE/cnt</c>; SP-relative <c>/id-in/Cxyz</c> → <c>/~/id-in/Cxyz</c>;
    /// absolute <c>//sp/id-in/x</c> → <c>/_/sp/id-in/x</c>. Segments are percent-encoded, '/' is kept.
    /// </summary>
    public static string ToPath(string to)
    {
        ArgumentNullException.ThrowIfNull(to);
        var path = new StringBuilder(to.Length + 4);
        string rest;
        if (to.StartsWith("//", StringComparison.Ordinal))
        {
            path.Append("/_/");
            rest = to[2..];
        }
        else if (to.StartsWith('/'))
        {
            path.Append("/~/");
            rest = to[1..];
        }
        else
        {
            path.Append('/');
            rest = to;
        }

        bool first = true;
        foreach (string segment in rest.Split('/'))
        {
            if (!first)
            {
                path.Append('/');
            }

            path.Append(Uri.EscapeDataString(segment));
            first = false;
        }

        return path.ToString();
    }

    /// <summary>Inverse of <see cref="ToPath"/>: an HTTP path (without the base prefix) back to a oneM2M <c>to</c>.</summary>
    public static string FromPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string p = Uri.UnescapeDataString(path);
        if (p.StartsWith("/_/", StringComparison.Ordinal))
        {
            return "//" + p[3..];
        }

        if (p.StartsWith("/~/", StringComparison.Ordinal))
        {
            return "/" + p[3..];
        }

        return p.TrimStart('/');
    }
}
