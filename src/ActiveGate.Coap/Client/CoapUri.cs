using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Client;

/// <summary>Maps coap:// and coaps:// URIs to endpoints and Uri-* options (RFC 7252 §6.4).</summary>
public static class CoapUri
{
    /// <summary>Default port of coap:// (5683).</summary>
    public const int DefaultPort = 5683;

    /// <summary>Default port of coaps:// (5684).</summary>
    public const int DefaultSecurePort = 5684;

    /// <summary>True for coaps://.</summary>
    public static bool IsSecure(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return string.Equals(uri.Scheme, "coaps", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The port in the URI, or the scheme's default.</summary>
    public static int GetPort(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsDefaultPort || uri.Port <= 0 ? (IsSecure(uri) ? DefaultSecurePort : DefaultPort) : uri.Port;
    }

    /// <summary>The host without IPv6 brackets.</summary>
    public static string GetHost(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        string host = uri.Host;
        return host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
    }

    /// <summary>Resolves the URI's host (an IP literal or a DNS name) to an endpoint.</summary>
    /// <exception cref="ArgumentException">Not a coap or coaps URI.</exception>
    public static async ValueTask<IPEndPoint> ResolveAsync(Uri uri, CancellationToken cancellationToken = default)
    {
        Validate(uri);
        string host = GetHost(uri);
        int port = GetPort(uri);
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return new IPEndPoint(literal, port);
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        IPAddress address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new CoapException($"Host '{host}' has no address.");
        return new IPEndPoint(address, port);
    }

    /// <summary>Adds Uri-Host (for DNS names), Uri-Port (when not the default), Uri-Path and Uri-Query to <paramref name="message"/>.</summary>
    public static void ApplyTo(Uri uri, CoapMessage message)
    {
        Validate(uri);
        ArgumentNullException.ThrowIfNull(message);
        string host = GetHost(uri);
        if (!IPAddress.TryParse(host, out _))
        {
            message.Options.Add(CoapOptionNumber.UriHost, host);
        }

        // Uri-Port is omitted: §6.4 step 7 allows that when it equals the destination port, which it always does here.
        foreach (string segment in uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            message.Options.Add(CoapOptionNumber.UriPath, Uri.UnescapeDataString(segment));
        }

        string query = uri.Query;
        if (query.Length > 1)
        {
            foreach (string argument in query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                message.Options.Add(CoapOptionNumber.UriQuery, Uri.UnescapeDataString(argument));
            }
        }
    }

    private static void Validate(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri ||
            !(string.Equals(uri.Scheme, "coap", StringComparison.OrdinalIgnoreCase) || string.Equals(uri.Scheme, "coaps", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"'{uri}' is not a coap:// or coaps:// URI."), nameof(uri));
        }

        if (uri.Fragment.Length > 0)
        {
            throw new ArgumentException("CoAP URIs have no fragment (RFC 7252 §6.4).", nameof(uri));
        }
    }
}
