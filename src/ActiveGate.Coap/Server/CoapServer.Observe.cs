using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack.Blockwise;
using ActiveGate.Coap.Stack.Observe;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Coap.Server;

public sealed partial class CoapServer
{
    internal int CountObservers(CoapResource resource) => _observers.Count(resource);

    /// <summary>Sends every observer of <paramref name="resource"/> a notification with the current state.</summary>
    internal void NotifyObservers(CoapResource resource)
    {
        foreach (ObserveRelation relation in _observers.Snapshot(resource))
        {
            _ = NotifyAsync(resource, relation, gone: false);
        }
    }

    /// <summary>Ends every relation of a resource; with <paramref name="notifyGone"/> observers get 4.04 (RFC 7641 §3.2).</summary>
    internal void RemoveObservers(CoapResource resource, bool notifyGone)
    {
        foreach (ObserveRelation relation in _observers.Snapshot(resource))
        {
            _observers.Remove(relation);
            if (notifyGone)
            {
                _ = NotifyAsync(resource, relation, gone: true);
            }
        }
    }

    private async Task NotifyAsync(CoapResource resource, ObserveRelation relation, bool gone)
    {
        try
        {
            CoapMessage notification;
            if (gone)
            {
                notification = new CoapMessage { Code = CoapCode.NotFound };
            }
            else
            {
                var context = new CoapRequestContext(this, relation.Request, relation.Remote, relation.Request.UriPathSegments.Count, relation.Request.Payload, isNotification: true);
                CoapResponse handled = await resource.HandleAsync(context, _stopping.Token).ConfigureAwait(false);
                notification = handled.Message.Clone();
            }

            if (relation.Cancelled && !gone)
            {
                return;
            }

            if (notification.Code.IsSuccess)
            {
                notification.Observe = resource.CurrentObserveSequence;
            }
            else
            {
                // §4.2: a non-2.xx notification ends the relation and carries no Observe.
                notification.Options.RemoveAll(CoapOptionNumber.Observe);
                _observers.Remove(relation);
            }

            // §2.6 of RFC 7959: a block-wise notification carries the first block; the client GETs the rest.
            Block2Slicer.TryApply(notification, relation.Request.Block2 is { } b ? new BlockOption(0, false, b.SizeExponent) : null, _serverSizeExponent);
            notification.Token = relation.Token;
            notification.Type = ChooseNotificationType(resource, relation, notification.Code.IsSuccess);
            await _endpoint.SendNotificationAsync(
                notification,
                relation.Remote,
                delivered =>
                {
                    if (!delivered)
                    {
                        // §3.6 / §4.5: RST or an unacknowledged CON ends the relation.
                        _observers.Remove(relation);
                    }
                },
                _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
#pragma warning disable CA1031 // A failing notification must not take down the server.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "Notification to {Remote} failed", relation.Remote);
        }
    }

    /// <summary>
    /// CON when the resource asks for it, when the server's every-Nth policy says so, when the last
    /// CON is older than the interval (RFC 7641 §4.5: at least every 24 h) and for final
    /// (non-2.xx) notifications; otherwise NON.
    /// </summary>
    private CoapMessageType ChooseNotificationType(CoapResource resource, ObserveRelation relation, bool success)
    {
        long now = _endpoint.TimeProvider.GetTimestamp();
        lock (relation)
        {
            relation.NotificationsSinceConfirmable++;
            bool confirmable = !success || resource.ConfirmableNotifications ||
                (_options.ConfirmableNotificationEvery > 0 && relation.NotificationsSinceConfirmable >= _options.ConfirmableNotificationEvery) ||
                _endpoint.TimeProvider.GetElapsedTime(relation.LastConfirmableAt, now) >= _options.ConfirmableNotificationInterval;
            if (confirmable)
            {
                relation.LastConfirmableAt = now;
                relation.NotificationsSinceConfirmable = 0;
                return CoapMessageType.Confirmable;
            }

            return CoapMessageType.NonConfirmable;
        }
    }
}
