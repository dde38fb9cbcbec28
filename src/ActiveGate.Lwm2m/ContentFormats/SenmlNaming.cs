using System.Globalization;
using System.Text;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.ContentFormats;

/// <summary>
/// How LwM2M names SenML records (Core TS 7.4.4/7.4.5): base name + name is the full path.
/// Records are written with the instance (or object) path as base name and the remaining ids as name.
/// </summary>
internal static class SenmlNaming
{
    public static string BaseName(Lwm2mPath requestPath) =>
        requestPath.Length switch
        {
            0 => "/",
            1 or 2 => requestPath + "/",
            _ => requestPath.Truncate(2) + "/",
        };

    public static string RelativeName(Lwm2mPath path, int baseLevels)
    {
        var builder = new StringBuilder(12);
        for (int level = baseLevels; level < path.Length; level++)
        {
            if (level > baseLevels)
            {
                builder.Append('/');
            }

            builder.Append(path.IdAt(level).ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    public static int BaseLevels(Lwm2mPath requestPath) => Math.Min(requestPath.Length, 2);

    public static Lwm2mPath ParseName(string baseName, string? name)
    {
        string full = baseName + (name ?? string.Empty);
        if (full.Length == 0 || full[0] != '/' || !Lwm2mPath.TryParse(full, out var path))
        {
            throw new Lwm2mFormatException($"SenML name '{Truncate(full)}' is not an LwM2M path.");
        }

        return path;
    }

    public static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;

    /// <summary>base64url without padding (RFC 8428 §5 for "vd"); base64 with padding is accepted on input.</summary>
    public static string ToBase64Url(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Any(string text)
    {
        var normal = text.Replace('-', '+').Replace('_', '/');
        int pad = (4 - normal.Length % 4) % 4;
        if (pad == 3)
        {
            throw new Lwm2mFormatException("SenML vd is not base64.");
        }

        normal += new string('=', pad);
        var bytes = new byte[normal.Length / 4 * 3];
        return Convert.TryFromBase64String(normal, bytes, out int n) ? bytes[..n] : throw new Lwm2mFormatException("SenML vd is not base64.");
    }
}
