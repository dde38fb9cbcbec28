using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>The gateway's CoAP notification endpoint, fed by the test CSE (coap:// poa and nu) and by the binding.</summary>
public sealed class CoapNotificationListenerTests
{
    private static async Task<T> WaitFor<T>(Func<T?> probe, TimeSpan timeout) where T : class
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("condition not met in time");
    }

    [Fact]
    public async Task Cse_notifies_the_gateway_by_coap_through_its_poa_and_through_a_coap_nu()
    {
        var received = new ConcurrentQueue<NotificationMessage>();
        await using var listener = new CoapNotificationListener(new IPEndPoint(IPAddress.Loopback, 0), (n, _) =>
        {
            received.Enqueue(n);
            return ValueTask.FromResult(ResponseStatusCode.Ok);
        });
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;

        await using var f = new CoapCseFixture();
        ResponsePrimitive ae = await f.Client.CreateAeAsync(new ApplicationEntity
        {
            ResourceName = "ActiveGate01",
            AppId = "Nodroid.activegate",
            RequestReachability = true,
            PointOfAccess = [$"coap://127.0.0.1:{port}/notify"],
            SupportedReleaseVersions = ["3"],
        });
        Assert.True(ae.IsSuccess, ae.ToString());
        Assert.True((await f.Client.CreateContainerAsync("ActiveGate01", new Container { ResourceName = "cmd" })).IsSuccess);

        // nu = AE-ID: the CSE posts to <poa>/<AE-ID>.
        ResponsePrimitive sub = await f.Client.CreateSubscriptionAsync("ActiveGate01/cmd", new Subscription
        {
            ResourceName = "sub", NotificationUris = ["Cactivegate01"], EventNotificationCriteria = new EventNotificationCriteria { NotificationEventTypes = [3] },
        });
        Assert.True(sub.IsSuccess, sub.ToString());
        f.Cse.PlatformCreateContentInstance("cse-in/ActiveGate01/cmd", "ON");
        NotificationMessage n = await WaitFor(() => received.TryDequeue(out NotificationMessage? m) ? m : null, TimeSpan.FromSeconds(5));
        Assert.Equal(NotificationKind.Event, n.Kind);
        Assert.Equal("ON", n.ContentInstance?.ContentText);
        Assert.Equal("/notify/Cactivegate01", n.Target);
        Assert.Equal(f.Cse.CseId, n.From);
        // The CSE records the delivery once our answer reached it.
        TestKit.OneM2m.TestCseNotification sent = await WaitFor(() => f.Cse.Notifications is [var first, ..] ? first : null, TimeSpan.FromSeconds(5));
        Assert.Equal(2000, sent.Rsc);

        // nu = a coap:// URL: a verification request first (answered 2000 here), then the events.
        ResponsePrimitive sub2 = await f.Client.CreateSubscriptionAsync("ActiveGate01/cmd", new Subscription
        {
            ResourceName = "sub2", NotificationUris = [$"coap://127.0.0.1:{port}/direct"], EventNotificationCriteria = new EventNotificationCriteria { NotificationEventTypes = [3] },
        });
        Assert.True(sub2.IsSuccess, sub2.ToString());
        NotificationMessage vrq = await WaitFor(() => received.TryDequeue(out NotificationMessage? m) ? m : null, TimeSpan.FromSeconds(5));
        Assert.Equal(NotificationKind.VerificationRequest, vrq.Kind);
        Assert.Equal("Cactivegate01", vrq.Creator);
        f.AssertNoViolations();
    }

    [Fact]
    public async Task Listener_refuses_create_and_malformed_notify_with_onem2m_codes_and_echoes_rqi()
    {
        await using var listener = new CoapNotificationListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => ValueTask.FromResult(ResponseStatusCode.Ok));
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndPoint).Port;
        await using var binding = new CoapBinding(new CoapBindingOptions { RequestTimeout = TimeSpan.FromSeconds(3) });
        var snapshot = new UpstreamSnapshot(new UpstreamEndpoint(new Uri($"coap://127.0.0.1:{port}/"), "/id-in", "cse-in", "/id-in"), 1);

        ResponsePrimitive create = await binding.SendAsync(snapshot, new RequestPrimitive
        {
            Operation = Operation.Create, To = "notify", ResourceType = ResourceType.ContentInstance, Content = "{}"u8.ToArray(), RequestIdentifier = "c1",
        }, default);
        Assert.Equal(ResponseStatusCode.OperationNotAllowed, create.StatusCode);
        Assert.Equal(405, create.TransportStatus);

        ResponsePrimitive garbage = await binding.SendAsync(snapshot, new RequestPrimitive
        {
            Operation = Operation.Notify, To = "notify", Content = Encoding.UTF8.GetBytes("garbage"),
        }, default);
        Assert.Equal(ResponseStatusCode.BadRequest, garbage.StatusCode);

        ResponsePrimitive ok = await binding.SendAsync(snapshot, new RequestPrimitive
        {
            Operation = Operation.Notify, To = "notify/Cactivegate01", Content = """{"m2m:sgn":{"vrq":true,"sur":"/id-in/sub1","cr":"Cx"}}"""u8.ToArray(),
        }, default);
        Assert.Equal(ResponseStatusCode.Ok, ok.StatusCode);
        Assert.Equal(204, ok.TransportStatus);
        Assert.Equal(1, listener.Received);
    }
}
