using System.Diagnostics;
using ActiveGate.Coap.Messages;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.OneM2m.Tests.Coap;

/// <summary>Unhappy paths of the CoAP binding: every one ends in a ResponsePrimitive (or, for cancellation, an OCE).</summary>
public sealed class CoapBindingFaultTests
{
    private static readonly byte[] s_cseBase = "{\"m2m:cb\":{\"rn\":\"cse-in\"}}"u8.ToArray();

    private static UpstreamSnapshot SnapshotFor(Uri baseUrl) => new(new UpstreamEndpoint(baseUrl, "/id-in", "cse-in", "Cactivegate01"), 7);

    private static RequestPrimitive Retrieve(TimeSpan? timeout = null) => new() { Operation = Operation.Retrieve, To = "cse-in", From = "CAdmin", Timeout = timeout };

    [Fact]
    public async Task Stopped_cse_is_a_local_timeout_within_the_request_timeout_then_recovers()
    {
        await using var f = new CoapCseFixture();
        f.Cse.Stop();
        var sw = Stopwatch.StartNew();
        ResponsePrimitive down = await CoapBindingTests.Ping(f.Client, TimeSpan.FromMilliseconds(500));
        Assert.True(down.IsLocal);
        Assert.True(down.IsRetryable);
        Assert.Equal(ResponseOutcome.Timeout, down.Outcome); // ICMP unreachable is not surfaced by an unconnected UDP socket
        Assert.InRange(sw.ElapsedMilliseconds, 400, 3000);
        Assert.Equal(1, down.EndpointGeneration);

        f.Cse.Restart();
        ResponsePrimitive up = await CoapBindingTests.Ping(f.Client);
        Assert.True(up.IsSuccess, up.ToString());
    }

    [Fact]
    public async Task Hung_cse_times_out_and_answers_again_once_released()
    {
        await using var f = new CoapCseFixture(timeout: TimeSpan.FromMilliseconds(400));
        f.Cse.Hang = true;
        var sw = Stopwatch.StartNew();
        ResponsePrimitive hung = await CoapBindingTests.Ping(f.Client);
        Assert.Equal(ResponseOutcome.Timeout, hung.Outcome);
        Assert.Equal(ResponseStatusCode.RequestTimeout, hung.StatusCode);
        Assert.InRange(sw.ElapsedMilliseconds, 350, 5000);
        f.Cse.Hang = false;

        // Longer than the CSE front's separate-response delay (1 s): empty ACK first, the answer later as a CON.
        f.Cse.ResponseDelay = TimeSpan.FromMilliseconds(1300);
        Assert.True((await CoapBindingTests.Ping(f.Client, TimeSpan.FromSeconds(5))).IsSuccess);
    }

    [Fact]
    public async Task Injected_cse_failure_reaches_the_caller_as_a_retryable_server_error()
    {
        await using var f = new CoapCseFixture();
        f.Cse.FailNext(1, rsc: 5000, httpStatus: 500);
        ResponsePrimitive r = await CoapBindingTests.Ping(f.Client);
        Assert.Equal(ResponseStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal(500, r.TransportStatus);
        Assert.False(r.IsLocal);
        Assert.True(r.IsRetryable);
        Assert.Equal("injected failure", r.Diagnostic);
        Assert.True((await CoapBindingTests.Ping(f.Client)).IsSuccess);
    }

    [Fact]
    public async Task Cancellation_mid_request_throws_and_leaves_the_binding_usable()
    {
        await using var f = new CoapCseFixture();
        f.Cse.Hang = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CoapBindingTests.Ping(f.Client, cancellationToken: cts.Token));
        f.Cse.Hang = false;
        Assert.True((await CoapBindingTests.Ping(f.Client)).IsSuccess);
    }

    [Fact]
    public async Task Garbage_datagram_from_the_cse_port_is_ignored()
    {
        await using var peer = new ScriptedCoapPeer(request =>
        [
            [0xFF, 0x00, 0x13, 0x37, (byte)'g', (byte)'a', (byte)'r', (byte)'b'],
            [0x40], // shorter than a CoAP header
            ScriptedCoapPeer.Ack(request, CoapCode.Content, m => m.Options.Add(OneM2mCoapOption.ResponseStatusCode, 2000u), s_cseBase),
        ]);
        await using var binding = new CoapBinding();
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(peer.BaseUrl), Retrieve(TimeSpan.FromSeconds(3)), default);
        Assert.Equal(ResponseStatusCode.Ok, r.StatusCode);
        Assert.False(r.IsLocal);
        Assert.Equal(7, r.EndpointGeneration);
        Assert.Equal(s_cseBase, r.Content.ToArray());
    }

    [Fact]
    public async Task Missing_rsc_falls_back_to_the_coap_code()
    {
        await using var peer = new ScriptedCoapPeer(request => [ScriptedCoapPeer.Ack(request, CoapCode.Created)]);
        await using var binding = new CoapBinding();
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(peer.BaseUrl), new RequestPrimitive
        {
            Operation = Operation.Create, To = "cse-in", ResourceType = ResourceType.AE, Content = "{}"u8.ToArray(), Timeout = TimeSpan.FromSeconds(3),
        }, default);
        Assert.Equal(ResponseStatusCode.Created, r.StatusCode);
        Assert.False(r.IsLocal);
        Assert.Null(r.Diagnostic);
    }

    [Theory]
    [InlineData(new byte[] { 0x27, 0x0F })] // 9999: no such RSC class
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x0F, 0xA0 })] // five bytes: longer than a uint option may be
    public async Task Malformed_rsc_is_not_trusted(byte[] rscValue)
    {
        await using var peer = new ScriptedCoapPeer(request =>
            [ScriptedCoapPeer.Ack(request, CoapCode.NotFound, m => m.Options.Add(new CoapOption(OneM2mCoapOption.ResponseStatusCode, rscValue)))]);
        await using var binding = new CoapBinding();
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(peer.BaseUrl), Retrieve(TimeSpan.FromSeconds(3)), default);
        Assert.Equal(ResponseStatusCode.NotFound, r.StatusCode);
        Assert.False(r.IsLocal);
        Assert.Contains("malformed oneM2M-RSC", r.Diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_with_an_unknown_critical_option_fails_fast_as_transport_failure()
    {
        await using var peer = new ScriptedCoapPeer(request =>
            [ScriptedCoapPeer.Ack(request, CoapCode.Content, m =>
            {
                m.Options.Add(OneM2mCoapOption.ResponseStatusCode, 2000u);
                m.Options.Add((CoapOptionNumber)9999, "?"); // odd: critical, and neither CoAP's nor oneM2M's
            }, s_cseBase)]);
        await using var binding = new CoapBinding();
        var sw = Stopwatch.StartNew();
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(peer.BaseUrl), Retrieve(TimeSpan.FromSeconds(5)), default);
        Assert.Equal(ResponseOutcome.TransportFailure, r.Outcome);
        Assert.Contains("9999", r.Diagnostic, StringComparison.Ordinal);
        Assert.InRange(sw.ElapsedMilliseconds, 0, 2000);
        Assert.Equal(1, peer.Requests); // rejected, not retransmitted into a timeout
    }

    [Fact]
    public async Task Two_megabyte_response_announced_by_size2_is_refused_after_the_first_block()
    {
        await using var peer = new ScriptedCoapPeer(request =>
            [ScriptedCoapPeer.Ack(request, CoapCode.Content, m =>
            {
                m.Options.Add(OneM2mCoapOption.ResponseStatusCode, 2000u);
                m.Block2 = new BlockOption(request.Block2?.Number ?? 0, true, 6);
                m.Size2 = 2 * 1024 * 1024;
            }, new byte[1024])]);
        await using var binding = new CoapBinding();
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(peer.BaseUrl), Retrieve(TimeSpan.FromSeconds(5)), default);
        Assert.Equal(ResponseOutcome.TransportFailure, r.Outcome);
        Assert.Contains("exceeds the limit", r.Diagnostic, StringComparison.Ordinal);
        Assert.Equal(1, peer.Requests);
    }

    [Fact]
    public async Task Endless_block2_body_without_size2_stops_at_the_configured_limit()
    {
        await using var peer = new ScriptedCoapPeer(request =>
            [ScriptedCoapPeer.Ack(request, CoapCode.Content, m =>
            {
                m.Options.Add(OneM2mCoapOption.ResponseStatusCode, 2000u);
                m.Block2 = new BlockOption(request.Block2?.Number ?? 0, true, 6);
            }, new byte[1024])]);
        await using var binding = new CoapBinding(new CoapBindingOptions { MaxResponseBodySize = 64 * 1024 });
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(peer.BaseUrl), Retrieve(TimeSpan.FromSeconds(10)), default);
        Assert.Equal(ResponseOutcome.TransportFailure, r.Outcome);
        Assert.Contains("exceeds the limit", r.Diagnostic, StringComparison.Ordinal);
        Assert.InRange(peer.Requests, 64, 66);
    }

    [Fact]
    public async Task Non_coap_url_no_endpoint_and_coaps_without_psk_are_local_failures()
    {
        await using var binding = new CoapBinding();
        ResponsePrimitive http = await binding.SendAsync(SnapshotFor(new Uri("http://127.0.0.1:1/")), Retrieve(), default);
        Assert.Equal(ResponseOutcome.TransportFailure, http.Outcome);
        ResponsePrimitive none = await binding.SendAsync(new UpstreamSnapshot(null, 3), Retrieve(), default);
        Assert.Equal(ResponseOutcome.TransportFailure, none.Outcome);
        Assert.Equal(3, none.EndpointGeneration);
        ResponsePrimitive coaps = await binding.SendAsync(SnapshotFor(new Uri("coaps://127.0.0.1:1/")), Retrieve(), default);
        Assert.True(coaps.IsLocal);
        Assert.Equal(ResponseStatusCode.SecurityAssociationRequired, coaps.StatusCode);
    }

    [Fact]
    public async Task Unresolvable_host_is_a_transport_failure()
    {
        await using var binding = new CoapBinding();
        ResponsePrimitive r = await binding.SendAsync(SnapshotFor(new Uri("coap://no-such-host.invalid/")), Retrieve(TimeSpan.FromSeconds(5)), default);
        Assert.True(r.IsLocal);
    }
}
