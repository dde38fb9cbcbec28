using System.Net;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Notifications;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>coaps:// (DTLS 1.2 PSK) for the binding, with the CoAP notification listener as the DTLS server.</summary>
public sealed class CoapsTests
{
    private static readonly byte[] s_verification = """{"m2m:sgn":{"vrq":true,"sur":"/id-in/sub1","cr":"Cx"}}"""u8.ToArray();

    private static (CoapNotificationListener Listener, int Port) StartSecureListener(PskCredential credential)
    {
        var transport = new DtlsPskServerTransport(new DtlsPskServerOptions
        {
            KeyProvider = DtlsPskServerOptions.ForSingleCredential(credential).KeyProvider,
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        });
        var listener = new CoapNotificationListener(transport, (_, _) => ValueTask.FromResult(ResponseStatusCode.Ok));
        listener.Start();
        return (listener, ((IPEndPoint)listener.LocalEndPoint).Port);
    }

    private static UpstreamSnapshot Secure(int port) => new(new UpstreamEndpoint(new Uri($"coaps://127.0.0.1:{port}/"), "/id-in", "cse-in", "/id-in"), 4);

    [Fact]
    public async Task Notify_over_coaps_with_the_right_psk_is_answered()
    {
        var credential = PskCredential.FromHex("gateway-01", "000102030405060708090a0b0c0d0e0f");
        (CoapNotificationListener listener, int port) = StartSecureListener(credential);
        await using (listener)
        {
            await using var binding = new CoapBinding(new CoapBindingOptions { PskCredential = credential, RequestTimeout = TimeSpan.FromSeconds(10) });
            ResponsePrimitive r = await binding.SendAsync(Secure(port), new RequestPrimitive { Operation = Operation.Notify, To = "notify", Content = s_verification }, default);
            Assert.Equal(ResponseStatusCode.Ok, r.StatusCode);
            Assert.False(r.IsLocal, r.ToString());
            Assert.Equal(4, r.EndpointGeneration);
            Assert.Equal(1, listener.Received);
        }
    }

    [Fact]
    public async Task Wrong_psk_is_a_local_failure_within_the_timeout()
    {
        (CoapNotificationListener listener, int port) = StartSecureListener(PskCredential.FromHex("gateway-01", "000102030405060708090a0b0c0d0e0f"));
        await using (listener)
        {
            await using var binding = new CoapBinding(new CoapBindingOptions
            {
                PskCredential = PskCredential.FromHex("gateway-01", "ffffffffffffffffffffffffffffffff"),
                RequestTimeout = TimeSpan.FromSeconds(2),
            });
            var sw = System.Diagnostics.Stopwatch.StartNew();
            ResponsePrimitive r = await binding.SendAsync(Secure(port), new RequestPrimitive { Operation = Operation.Notify, To = "notify", Content = s_verification }, default);
            Assert.True(r.IsLocal, r.ToString());
            Assert.InRange(sw.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(6));
            Assert.Equal(0, listener.Received);
        }
    }
}
