using System.Text;

namespace ActiveGate.Lwm2m.Registration;

/// <summary>Default endpoint client names and PSK key files for <see cref="Lwm2mClientOptions"/>.</summary>
public static class EndpointName
{
    /// <summary><c>urn:dev:mac:00124b0001020304</c> (RFC 9039 style) from the radio's EUI-64.</summary>
    public static string FromEui64(ReadOnlySpan<byte> eui64)
    {
        if (eui64.Length != 8)
        {
            throw new ArgumentException("An EUI-64 has 8 bytes.", nameof(eui64));
        }

        return "urn:dev:mac:" + Convert.ToHexStringLower(eui64);
    }

    /// <summary><c>urn:dev:ops:activegate-{machine-id}</c> from /etc/machine-id, or the host name when there is none.</summary>
    public static string FromMachineId(string machineIdPath = "/etc/machine-id")
    {
        try
        {
            string id = File.ReadAllText(machineIdPath).Trim();
            if (id.Length > 0)
            {
                return "urn:dev:ops:activegate-" + id;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return "urn:dev:ops:activegate-" + Environment.MachineName.ToLowerInvariant();
    }

    /// <summary>
    /// Reads a PSK key file: hex (the usual way keys are handed out, whitespace and an optional 0x
    /// ignored) or, when the text is not hex, its raw bytes. The key is never logged.
    /// </summary>
    public static byte[] ReadPskKeyFile(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        string text = Encoding.UTF8.GetString(raw).Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        text = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        if (text.Length > 0 && text.Length % 2 == 0 && text.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(text);
        }

        return raw;
    }
}
