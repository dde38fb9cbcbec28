using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ActiveGate.Coap.Matching;
using ActiveGate.Coap.Messages;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Coap.Client;

public sealed partial class CoapClient
{
    private const uint SequenceHalfRange = 1u << 23;
    private static readonly TimeSpan FreshnessWindow = TimeSpan.FromSeconds(128);

    /// <summary>Observes a resource (GET with Observe = 0, RFC 7641).</summary>
    public IAsyncEnumerable<CoapResponse> ObserveAsync(Uri uri, CancellationToken cancellationToken = default) =>
        ObserveAsync(new CoapRequest(CoapCode.Get, uri), cancellationToken);

    /// <summary>
    /// Observes a resource: yields the registration response and then every fresh notification
    /// (stale, reordered ones are skipped by the 24-bit sequence rule of RFC 7641 §3.4), with the
    /// whole body when notifications are block-wise. Re-registers when no notification arrives
    /// within Max-Age. Ends when the server sends an error or a response without Observe. Stopping
    /// the enumeration (break or cancellation) deregisters with GET Observe = 1.
    /// </summary>
    public async IAsyncEnumerable<CoapResponse> ObserveAsync(CoapRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureSchemeMatchesTransport(request.Uri);
        IPEndPoint remote = await CoapUri.ResolveAsync(request.Uri, cancellationToken).ConfigureAwait(false);
        _endpoint.Start();
        CoapMessage template = BuildMessage(request);
        template.Observe = 0;
        if (request.BlockSize is not null)
        {
            template.Block2 = new BlockOption(0, false, BlockExponentFor(request));
        }

        var sink = new ObservationSink();
        CoapToken token = _endpoint.RegisterResponseSink(remote, sink);
        try
        {
            await RegisterObservationAsync(template, request.Payload, token, remote, sink, cancellationToken).ConfigureAwait(false);
            uint? lastSequence = null;
            long lastTimestamp = 0;
            TimeSpan maxAge = TimeSpan.FromSeconds(60);
            while (true)
            {
                CoapMessage? notification = await ReadNotificationAsync(sink, maxAge + _options.ObserveReregistrationSlack, cancellationToken).ConfigureAwait(false);
                if (notification is null)
                {
                    // Max-Age passed without news: the registration may be lost; renew it (§3.3.1).
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        _logger.LogDebug("Observation of {Uri}: re-registering after Max-Age", request.Uri);
                    }

                    await RegisterObservationAsync(template, request.Payload, token, remote, sink, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                long now = _endpoint.TimeProvider.GetTimestamp();
                if (notification.Observe is uint sequence)
                {
                    if (lastSequence is uint previous && !IsFresh(previous, lastTimestamp, sequence, now))
                    {
                        continue;
                    }

                    lastSequence = sequence;
                    lastTimestamp = now;
                }

                maxAge = TimeSpan.FromSeconds(notification.MaxAge ?? 60);
                CoapMessage whole = notification;
                if (notification.Code.IsSuccess && notification.Block2 is { More: true })
                {
                    CoapMessage followUps = template.Clone();
                    followUps.Options.RemoveAll(CoapOptionNumber.Observe);
                    CoapMessage? completed;
                    try
                    {
                        completed = await FetchRemainingBlocksAsync(followUps, default, notification, remote, cancellationToken).ConfigureAwait(false);
                    }
                    catch (CoapRepresentationChangedException)
                    {
                        // The resource changes faster than its blocks can be fetched (a fast-reporting meter over a slow
                        // radio). Each change brings a newer notification anyway (RFC 7959 §2.6), so skip this one
                        // instead of ending the observation.
                        if (_logger.IsEnabled(LogLevel.Debug))
                        {
                            _logger.LogDebug("Observation of {Uri}: notification skipped, the representation changed during its block-wise transfer", request.Uri);
                        }

                        completed = null;
                    }

                    if (completed is null)
                    {
                        continue;
                    }

                    whole = completed;
                }

                yield return new CoapResponse(whole, remote);
                if (!notification.Code.IsSuccess || notification.Observe is null)
                {
                    // §3.2: an error or a response without Observe ends the observation.
                    yield break;
                }
            }
        }
        finally
        {
            _endpoint.UnregisterResponseSink(remote, token, sink);
            if (!sink.Completed)
            {
                StartDeregistration(template, token, remote);
            }
        }
    }

    /// <summary>
    /// RFC 7641 §3.4: V2 is fresh after V1 when (V1 &lt; V2 and V2 − V1 &lt; 2^23) or
    /// (V1 &gt; V2 and V1 − V2 &gt; 2^23), or when more than 128 s have passed.
    /// </summary>
    internal bool IsFresh(uint previous, long previousTimestamp, uint current, long now) =>
        (previous < current && current - previous < SequenceHalfRange) ||
        (previous > current && previous - current > SequenceHalfRange) ||
        _endpoint.TimeProvider.GetElapsedTime(previousTimestamp, now) > FreshnessWindow;

    private async Task RegisterObservationAsync(CoapMessage template, ReadOnlyMemory<byte> payload, CoapToken token, EndPoint remote, ObservationSink sink, CancellationToken cancellationToken)
    {
        CoapMessage registration = template.Clone();
        registration.Token = token;
        registration.Payload = payload;
        _ = await _endpoint.TransmitAsync(registration, remote, sink, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CoapMessage?> ReadNotificationAsync(ObservationSink sink, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(wait, _endpoint.TimeProvider);
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await sink.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    /// <summary>Explicit deregistration (GET with Observe = 1 and the same token), in the background.</summary>
    private void StartDeregistration(CoapMessage template, CoapToken token, EndPoint remote)
    {
        CoapMessage deregistration = template.Clone();
        deregistration.Observe = 1;
        deregistration.Token = token;
        _ = DeregisterAsync(deregistration, remote);
    }

    private async Task DeregisterAsync(CoapMessage deregistration, EndPoint remote)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_endpoint.TransmissionParameters.MaxTransmitWait, _endpoint.TimeProvider);
            _ = await _endpoint.SendRequestAsync(deregistration, remote, timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the server also forgets us on the next RST.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogDebug(ex, "Observe deregistration failed");
        }
    }

    /// <summary>Buffers notifications for one observation (bounded: the oldest is dropped when the reader lags).</summary>
    private sealed class ObservationSink : IResponseSink
    {
        private readonly Channel<CoapMessage> _channel = Channel.CreateBounded<CoapMessage>(
            new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        public ChannelReader<CoapMessage> Reader => _channel.Reader;

        public bool Completed { get; private set; }

        public bool Deliver(CoapMessage response, EndPoint remote)
        {
            _channel.Writer.TryWrite(response);
            bool stays = response.Code.IsSuccess && response.Observe is not null;
            Completed |= !stays;
            return stays;
        }

        public void Fail(Exception error)
        {
            Completed = true;
            _channel.Writer.TryComplete(error);
        }
    }
}
