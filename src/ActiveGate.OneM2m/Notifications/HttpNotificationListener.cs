using System.Globalization;
using System.Net;
using ActiveGate.OneM2m.Http;
using ActiveGate.OneM2m.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.OneM2m.Notifications;

/// <summary>Handles one notification; returns the RSC to answer with (2000 accepts).</summary>
public delegate ValueTask<ResponseStatusCode> NotificationHandler(NotificationMessage notification, CancellationToken cancellationToken);

/// <summary>
/// The gateway's notification endpoint (the AE's <c>poa</c>): accepts NOTIFY (POST without <c>ty</c>) on ANY path
/// below its prefix (ACME posts to <c>&lt;poa&gt;/&lt;AE-ID&gt;</c>, OpenMTC to the poa itself), answers
/// 200 + <c>X-M2M-RSC</c> + the echoed <c>X-M2M-RI</c> and <c>X-M2M-RVI</c>, and answers verification requests.
/// </summary>
public sealed class HttpNotificationListener : IAsyncDisposable
{
    private const int MaxBodyBytes = 256 * 1024;

    private readonly HttpListener _listener = new();
    private readonly NotificationHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <param name="prefix">e.g. <c>http://127.0.0.1:19090/notify/</c> (must end with '/'); use <c>http://+:port/…</c> to listen on all addresses.</param>
    public HttpNotificationListener(string prefix, NotificationHandler handler, ILogger<HttpNotificationListener>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix.EndsWith('/') ? prefix : prefix + "/";
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _listener.Prefixes.Add(Prefix);
    }

    public string Prefix { get; }

    /// <summary>Notifications answered so far (any kind).</summary>
    public long Received => Interlocked.Read(ref _received);

    private long _received;

    public void Start()
    {
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        string? rqi = request.Headers[HttpBinding.RequestIdHeader];
        string? rvi = request.Headers[HttpBinding.ReleaseVersionHeader];
        string? origin = request.Headers[HttpBinding.OriginHeader];
        ResponseStatusCode rsc;
        try
        {
            if (request.HttpMethod != "POST")
            {
                rsc = ResponseStatusCode.OperationNotAllowed;
            }
            else if (string.IsNullOrEmpty(rqi) || string.IsNullOrEmpty(origin))
            {
                rsc = ResponseStatusCode.BadRequest;
            }
            else if (request.ContentType is { } ct && ct.Contains("ty=", StringComparison.OrdinalIgnoreCase))
            {
                // A POST with ty is a CREATE; we are not a CSE.
                rsc = ResponseStatusCode.OperationNotAllowed;
            }
            else
            {
                byte[]? body = await ReadBodyAsync(request).ConfigureAwait(false);
                if (body is null || !NotificationMessage.TryParse(body, out NotificationMessage? message, origin, rqi, request.Url?.AbsolutePath))
                {
                    rsc = ResponseStatusCode.BadRequest;
                }
                else
                {
                    Interlocked.Increment(ref _received);
                    rsc = await _handler(message!, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A handler bug must not kill the listener; the CSE will retry or drop per its policy.
            _logger.LogError(ex, "notification handler failed");
            rsc = ResponseStatusCode.InternalServerError;
        }

        try
        {
            response.StatusCode = HttpStatusFor(rsc);
            response.Headers[HttpBinding.StatusCodeHeader] = ((int)rsc).ToString(CultureInfo.InvariantCulture);
            if (rqi is not null)
            {
                response.Headers[HttpBinding.RequestIdHeader] = rqi;
            }

            response.Headers[HttpBinding.ReleaseVersionHeader] = rvi ?? "3";
            response.ContentLength64 = 0;
            response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.LogDebug(ex, "notification response could not be sent");
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = await request.InputStream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    internal static int HttpStatusFor(ResponseStatusCode rsc) => (int)rsc switch
    {
        >= 2000 and < 3000 => 200,
        4004 => 404,
        4005 => 405,
        4101 or 4103 => 403,
        >= 4000 and < 5000 => 400,
        _ => 500,
    };

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
