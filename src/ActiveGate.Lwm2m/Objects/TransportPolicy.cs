using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>
/// The upstream M2M platform one Transport Management Policy instance (/26241/x) points at: how to
/// reach it (scheme, address, port) and which oneM2M CSE to address there (CSE-ID, CSEBase name,
/// originator, release version). A value is not checked on construction; <see cref="Validate"/>
/// says whether it may be used.
/// </summary>
public sealed record TransportPolicy(
    string ServiceName,
    string Scheme,
    string Address,
    int Port,
    string CseId,
    string CseBaseName,
    string Originator,
    string? ReleaseVersion)
{
    /// <summary>The schemes the gateway has an upstream binding for (oneM2M HTTP TS-0009, CoAP TS-0008).</summary>
    public static IReadOnlyList<string> KnownSchemes { get; } = ["http", "https", "coap", "coaps"];

    // Length limits also stated as RangeEnumeration in Ddf/26241.xml (the model checks those too).
    internal const int MaxServiceName = 64;
    internal const int MaxAddress = 253;
    internal const int MaxCseId = 128;
    internal const int MaxCseBaseName = 64;
    internal const int MaxOriginator = 128;
    internal const int MaxReleaseVersion = 8;

    /// <summary>
    /// Checks every field; returns the first problem as a sentence naming the field (it becomes the
    /// diagnostic payload of the 4.00 a server gets), or null when the policy is usable.
    /// </summary>
    public static string? Validate(TransportPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (CheckToken(policy.ServiceName, "Service Name", MaxServiceName, static c => IsUnreserved(c), UnreservedText) is { } name)
        {
            return name;
        }

        if (policy.Scheme is null || !KnownSchemes.Contains(policy.Scheme, StringComparer.Ordinal))
        {
            return $"Scheme '{Printable(policy.Scheme)}' is not one of {string.Join(", ", KnownSchemes)}.";
        }

        if (ValidateAddress(policy.Address) is { } address)
        {
            return address;
        }

        if (policy.Port is < 1 or > 65535)
        {
            return $"Port {policy.Port.ToString(CultureInfo.InvariantCulture)} is not in 1..65535.";
        }

        // SP-relative CSE-ID (oneM2M TS-0001 7.2): "/" followed by the CSE's own id, which has no further slash.
        if (policy.CseId is null || policy.CseId.Length < 2 || policy.CseId[0] != '/')
        {
            return $"CSE-ID '{Printable(policy.CseId)}' must start with '/' followed by the CSE id (for example /id-in).";
        }

        if (CheckToken(policy.CseId[1..], "CSE-ID", MaxCseId - 1, static c => IsUnreserved(c), UnreservedText) is { } cseId)
        {
            return cseId;
        }

        if (CheckToken(policy.CseBaseName, "CSEBase Name", MaxCseBaseName, static c => IsUnreserved(c), UnreservedText) is { } cseBase)
        {
            return cseBase;
        }

        // An originator may be SP-relative ("/id-in/CAE01") as well as a plain AE-ID ("CActiveGate01").
        if (CheckToken(policy.Originator, "Originator", MaxOriginator, static c => IsUnreserved(c) || c == '/', UnreservedText + " /") is { } originator)
        {
            return originator;
        }

        // Release version indicators are "1", "2a", "3", "4"... (TS-0004 6.4.1, X-M2M-RVI).
        if (policy.ReleaseVersion is { } rvi && !IsReleaseVersion(rvi))
        {
            return $"Release Version '{Printable(rvi)}' is not a release indicator such as 3 or 2a.";
        }

        return null;
    }

    /// <summary>
    /// The platform's base URI, <c>scheme://host:port/</c>, with an IPv6 address in brackets
    /// (RFC 3986 3.2.2). Throws when the policy is not valid.
    /// </summary>
    public Uri GetBaseUri()
    {
        if (Validate(this) is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        string host = Address.Contains(':', StringComparison.Ordinal) ? "[" + Address + "]" : Address;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{Scheme}://{host}:{Port}/"));
    }

    /// <summary>Address: an IPv4 dotted quad, an IPv6 literal without brackets or zone, or an RFC 1123 host name.</summary>
    internal static string? ValidateAddress(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return "Address is empty.";
        }

        if (address.Length > MaxAddress)
        {
            return $"Address is longer than {MaxAddress} characters.";
        }

        if (address.Any(c => c <= ' ' || c >= 0x7F))
        {
            return $"Address '{Printable(address)}' contains whitespace, control or non-ASCII characters.";
        }

        if (address.Contains(':', StringComparison.Ordinal))
        {
            // IPAddress.TryParse also takes "[::1]", "::1%eth0" and "::1]:80"-like forms; only the bare literal is allowed.
            return address.IndexOfAny(['[', ']', '%', '/']) < 0 && IPAddress.TryParse(address, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                ? null
                : $"Address '{address}' is not a valid IPv6 literal (write it without brackets or zone).";
        }

        if (address.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            // All digits and dots: only a strict dotted quad. IPAddress.TryParse would take "1" or "10.1" (inet_aton forms).
            return IsDottedQuad(address) ? null : $"Address '{address}' is not a valid IPv4 address.";
        }

        return IsHostName(address) ? null : $"Address '{address}' is not a valid host name (RFC 1123: labels of letters, digits and '-', 1..63 characters).";
    }

    private static bool IsDottedQuad(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && (p.Length == 1 || p[0] != '0') && int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture) <= 255);
    }

    // RFC 1123 2.1: labels start and end with a letter or digit, '-' inside; RFC 1035 2.3.4 lengths.
    private static bool IsHostName(string text) => text.Split('.').All(label =>
        label.Length is >= 1 and <= 63
        && char.IsAsciiLetterOrDigit(label[0])
        && char.IsAsciiLetterOrDigit(label[^1])
        && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));

    private static bool IsReleaseVersion(string text) =>
        text.Length is >= 1 and <= 3
        && text[0] is >= '1' and <= '9'
        && (text.Length == 1 || char.IsAsciiDigit(text[1]) || (text.Length == 2 && char.IsAsciiLetterLower(text[1])))
        && (text.Length < 3 || char.IsAsciiLetterLower(text[2]));

    // RFC 3986 unreserved characters: safe in a oneM2M resource path and an HTTP header without escaping.
    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    private const string UnreservedText = "letters, digits and - . _ ~";

    private static string? CheckToken(string? value, string field, int maxLength, Func<char, bool> allowed, string allowedText)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} is empty.";
        }

        if (value.Length > maxLength)
        {
            return $"{field} is longer than {maxLength.ToString(CultureInfo.InvariantCulture)} characters.";
        }

        int bad = -1;
        for (int i = 0; i < value.Length && bad < 0; i++)
        {
            bad = allowed(value[i]) ? -1 : i;
        }

        return bad < 0 ? null : $"{field} '{Printable(value)}' has a character that is not allowed at position {bad.ToString(CultureInfo.InvariantCulture)} (allowed: {allowedText}).";
    }

    // Reasons go back to the server as text: keep them short and free of control characters.
    private static string Printable(string? value)
    {
        if (value is null)
        {
            return "(none)";
        }

        var shown = value.Length > 40 ? value[..40] + "…" : value;
        return string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c));
    }
}
