using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.OneM2m.Http;

/// <summary>
/// The oneM2M HTTP binding (TS-0009) over an injected <see cref="HttpClient"/>.
/// <code>
/// CREATE   → POST   Content-Type: application/json;ty=N   (ty present = CREATE, absent = NOTIFY; TS-0009 §6.2.1)
/// RETRIEVE → GET    UPDATE → PUT (Content-Type without ty)   DELETE → DELETE   NOTIFY → POST
/// every request: X-M2M-Origin (fr), X-M2M-RI (rqi), X-M2M-RVI (rvi), Accept
/// response: X-M2M-RSC is authoritative; the HTTP status is only the coarse class.
/// </code>
/// The HttpClient's own Timeout should be infinite (or longer than ours): timeouts are enforced per request
/// with the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class HttpBinding : IOneM2mBinding
{
    public const string OriginHeader = "X-M2M-Origin";
    public const string RequestIdHeader = "X-M2M-RI";
    public const string ReleaseVersionHeader = "X-M2M-RVI";
    public const string StatusCodeHeader = "X-M2M-RSC";

    private readonly HttpClient _http;
    private readonly HttpBindingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _ridPrefix;
    private long _requestCounter;

    public HttpBinding(HttpClient httpClient, HttpBindingOptions? options = null, TimeProvider? timeProvider = null, ILogger<HttpBinding>? logger = null)
    {
        _http = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        _options = options ?? new HttpBindingOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ridPrefix = _options.RequestIdPrefix + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())) + "-";
    }

    /// <summary>
    /// The HTTP handler a gateway should give this binding's HttpClient: pooled keep-alive connections (renewed every
    /// 5 minutes so a CSE behind a changed DNS name is found), no cookies and no redirects. A CSE uses neither, and
    /// their handlers cost CPU on every request; a 3xx is then reported as the error it is instead of being followed.
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    public string NextRequestId()
        => _ridPrefix + Interlocked.Increment(ref _requestCounter).ToString(CultureInfo.InvariantCulture);

    public async Task<ResponsePrimitive> SendAsync(UpstreamSnapshot upstream, RequestPrimitive request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string rqi = request.RequestIdentifier ?? NextRequestId();
        if (upstream.Endpoint is not { } endpoint)
        {
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, "no upstream endpoint configured");
        }

        using HttpRequestMessage message = BuildMessage(endpoint, request, rqi);
        TimeSpan timeout = request.Timeout ?? _options.RequestTimeout;
        using var timeoutCts = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            return ParseResponse(request.Operation, rqi, upstream.Generation, response, body);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            // Ours or HttpClient.Timeout: either way the CSE did not answer in time.
            return Local(ResponseStatusCode.RequestTimeout, rqi, upstream.Generation, $"no response within {timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException ex)
        {
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, ex.Message);
        }
        catch (IOException ex)
        {
            return Local(ResponseStatusCode.TargetNotReachable, rqi, upstream.Generation, ex.Message);
        }
    }

    private HttpRequestMessage BuildMessage(UpstreamEndpoint endpoint, RequestPrimitive request, string rqi)
    {
        HttpMethod method = request.Operation switch
        {
            Operation.Create or Operation.Notify => HttpMethod.Post,
            Operation.Retrieve => HttpMethod.Get,
            Operation.Update => HttpMethod.Put,
            Operation.Delete => HttpMethod.Delete,
            _ => throw new ArgumentException($"unknown operation {request.Operation}", nameof(request)),
        };
        if (request.Operation == Operation.Create && request.ResourceType is null)
        {
            throw new ArgumentException("CREATE needs a resource type (ty)", nameof(request));
        }

        var message = new HttpRequestMessage(method, BuildUri(endpoint.BaseUrl, request));
        HttpRequestHeaders headers = message.Headers;
        headers.TryAddWithoutValidation(OriginHeader, request.From ?? endpoint.Origin);
        headers.TryAddWithoutValidation(RequestIdHeader, rqi);
        headers.TryAddWithoutValidation(ReleaseVersionHeader, request.ReleaseVersion ?? endpoint.ReleaseVersion);
        headers.TryAddWithoutValidation("Accept", _options.MediaType);

        if (request.Operation is Operation.Create or Operation.Update or Operation.Notify)
        {
            var content = new ReadOnlyMemoryContent(request.Content);
            // Raw header so the wire shows exactly "application/json;ty=3" (no normalising space).
            string contentType = request.Operation == Operation.Create
                ? _options.MediaType + ";ty=" + ((int)request.ResourceType!.Value).ToString(CultureInfo.InvariantCulture)
                : _options.MediaType;
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            message.Content = content;
        }

        return message;
    }

    internal static Uri BuildUri(Uri baseUrl, RequestPrimitive request)
    {
        var sb = new StringBuilder(128);
        sb.Append(baseUrl.GetLeftPart(UriPartial.Authority));
        sb.Append(baseUrl.AbsolutePath.TrimEnd('/'));
        sb.Append(OneM2mHttpAddress.ToPath(request.To));
        char separator = '?';
        if (request.ResultContent is { } rcn)
        {
            sb.Append(separator).Append("rcn=").Append((int)rcn);
            separator = '&';
        }

        if (request.Query is { } query)
        {
            foreach (KeyValuePair<string, string> kv in query)
            {
                sb.Append(separator).Append(Uri.EscapeDataString(kv.Key)).Append('=')
                  .Append(Uri.EscapeDataString(kv.Value).Replace("%2B", "+", StringComparison.Ordinal));
                separator = '&';
            }
        }

        return new Uri(sb.ToString(), UriKind.Absolute);
    }

    private ResponsePrimitive ParseResponse(Operation op, string rqi, long generation, HttpResponseMessage response, byte[] body)
    {
        int http = (int)response.StatusCode;
        ResponseStatusCode rsc;
        string? rscText = HeaderValue(response, StatusCodeHeader);
        if (rscText is not null && int.TryParse(rscText, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
        {
            rsc = (ResponseStatusCode)parsed;
        }
        else
        {
            rsc = ResponseStatusCodes.FromHttpStatus(http, op);
        }

        string? echoedRi = HeaderValue(response, RequestIdHeader);
        if (echoedRi is not null && echoedRi != rqi)
        {
            _logger.LogWarning("oneM2M response carried X-M2M-RI {Echoed}, expected {Rqi}", BoundedText.Cap(echoedRi), rqi);
        }

        string? diagnostic = null;
        if (ResponseStatusCodes.Classify(rsc) != ResponseOutcome.Success)
        {
            diagnostic = OneM2mJson.TryReadDebug(body) ?? $"HTTP {http}";
        }

        return new ResponsePrimitive
        {
            StatusCode = rsc,
            RequestIdentifier = rqi,
            TransportStatus = http,
            ReleaseVersion = HeaderValue(response, ReleaseVersionHeader),
            Content = body,
            Diagnostic = diagnostic,
            EndpointGeneration = generation,
        };
    }

    private static string? HeaderValue(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault()?.Trim() : null;

    private static ResponsePrimitive Local(ResponseStatusCode rsc, string rqi, long generation, string diagnostic) => new()
    {
        StatusCode = rsc,
        RequestIdentifier = rqi,
        IsLocal = true,
        Diagnostic = diagnostic,
        EndpointGeneration = generation,
    };
}
