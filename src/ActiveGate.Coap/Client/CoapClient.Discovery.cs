using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Client;

public sealed partial class CoapClient
{
    /// <summary>
    /// Resource discovery (RFC 6690 §4): GET /.well-known/core on the URI's host, with an optional
    /// filter query such as "rt=temperature" or "href=/sensors*".
    /// </summary>
    /// <exception cref="CoapException">The server answered with an error.</exception>
    /// <exception cref="LinkFormatException">The answer is not valid link format.</exception>
    public async Task<IReadOnlyList<CoapLink>> DiscoverAsync(Uri uri, string? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var builder = new UriBuilder(uri) { Path = "/.well-known/core", Query = query ?? string.Empty };
        var request = new CoapRequest(CoapCode.Get, builder.Uri) { Accept = CoapContentFormat.LinkFormat };
        CoapResponse response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw new CoapException($"Discovery failed with {response.Code}.");
        }

        return LinkFormatParser.Parse(response.PayloadAsString);
    }
}
