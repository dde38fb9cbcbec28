using System.Net;
using System.Text;
using ActiveGate.Coap.Transport.Dtls;
using Microsoft.Extensions.Time.Testing;
using static ActiveGate.Coap.Tests.Transport.Dtls.DtlsPskLibcoapInteropTests;

namespace ActiveGate.Coap.Tests.Transport.Dtls;

/// <summary>Our DTLS-PSK client against our server on loopback: sessions, resumption, expiry, failures.</summary>
public sealed class DtlsPskTransportTests
{
    private static readonly byte[] s_key = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");

    [Theory]
    [InlineData(DtlsPskCipherSuite.TlsPskWithAes128Ccm8)]
    [InlineData(DtlsPskCipherSuite.TlsPskWithAes128CbcSha256)]
    public async Task Datagrams_round_trip_in_both_directions(DtlsPskCipherSuite suite)
    {
        await using var server = new DtlsPskServerTransport(ServerOptions(suite));
        await using var client = new DtlsPskClientTransport(ClientOptionsFor(suite));
        IPEndPoint serverEndPoint = Loopback(server);

        await client.SendAsync(Encoding.ASCII.GetBytes("ping"), serverEndPoint, CancellationToken.None);
        byte[] buffer = new byte[100];
        var received = await server.ReceiveAsync(buffer, Timeout());
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, received.Length));
        Assert.Equal(((IPEndPoint)client.LocalEndPoint).Port, ((IPEndPoint)received.Remote).Port);
        Assert.Equal("gw-1", server.GetPeerIdentity((IPEndPoint)received.Remote));

        await server.SendAsync(Encoding.ASCII.GetBytes("pong"), received.Remote, CancellationToken.None);
        var reply = await client.ReceiveAsync(buffer, Timeout());
        Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, reply.Length));
        Assert.Equal(serverEndPoint, reply.Remote);
        Assert.Equal(1, server.SessionCount);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Dual_stack_server_serves_IPv4_and_IPv6_clients(string clientAddress)
    {
        var options = ServerOptions();
        options.LocalEndPoint = new IPEndPoint(IPAddress.IPv6Any, 0);
        await using var server = new DtlsPskServerTransport(options);
        DtlsPskClientOptions clientOptions = ClientOptionsFor();
        clientOptions.LocalEndPoint = new IPEndPoint(IPAddress.Parse(clientAddress), 0);
        await using var client = new DtlsPskClientTransport(clientOptions);
        var serverEndPoint = new IPEndPoint(IPAddress.Parse(clientAddress), ((IPEndPoint)server.LocalEndPoint).Port);

        await client.SendAsync(Encoding.ASCII.GetBytes("hi"), serverEndPoint, Timeout());
        byte[] buffer = new byte[16];
        var received = await server.ReceiveAsync(buffer, Timeout());
        // IPv4 peers show up as plain IPv4 endpoints, not as ::ffff:a.b.c.d.
        Assert.Equal(IPAddress.Parse(clientAddress), ((IPEndPoint)received.Remote).Address);
        await server.SendAsync(buffer.AsMemory(0, received.Length), received.Remote, CancellationToken.None);
        var echoed = await client.ReceiveAsync(buffer, Timeout());
        Assert.Equal("hi", Encoding.ASCII.GetString(buffer, 0, echoed.Length));
    }

    [Fact]
    public async Task Largest_advertised_datagram_fits_and_larger_ones_are_refused()
    {
        await using var server = new DtlsPskServerTransport(ServerOptions());
        await using var client = new DtlsPskClientTransport(ClientOptionsFor());
        Assert.Equal(1232 - 77, client.MaxDatagramSize); // worst case is CBC-SHA256

        byte[] large = new byte[client.MaxDatagramSize];
        Random.Shared.NextBytes(large);
        await client.SendAsync(large, Loopback(server), CancellationToken.None);
        byte[] buffer = new byte[2048];
        var received = await server.ReceiveAsync(buffer, Timeout());
        Assert.Equal(large, buffer[..received.Length]);

        await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendAsync(new byte[client.MaxDatagramSize + 1], Loopback(server), CancellationToken.None));
    }

    [Fact]
    public async Task A_truncated_receive_is_flagged()
    {
        await using var server = new DtlsPskServerTransport(ServerOptions());
        await using var client = new DtlsPskClientTransport(ClientOptionsFor());
        await client.SendAsync(new byte[50], Loopback(server), CancellationToken.None);

        var received = await server.ReceiveAsync(new byte[10], Timeout());

        Assert.Equal(10, received.Length);
        Assert.True(received.Truncated);
    }

    [Fact]
    public async Task Idle_client_resumes_the_session_with_an_abbreviated_handshake()
    {
        var clientTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = new DtlsPskServerTransport(ServerOptions());
        DtlsPskClientOptions options = ClientOptionsFor();
        options.ResumeAfterIdle = TimeSpan.FromMinutes(1);
        await using var client = new DtlsPskClientTransport(options, timeProvider: clientTime);
        await ExchangeAsync(client, server, "first");

        clientTime.Advance(TimeSpan.FromMinutes(2));
        await ExchangeAsync(client, server, "after idle");

        Assert.Equal(2, client.HandshakesSucceeded);
        Assert.Equal(1, client.HandshakesResumed);
        Assert.Equal(1, server.HandshakesResumed);
        Assert.Equal(1, server.SessionCount); // the new handshake replaced the old session
    }

    [Fact]
    public async Task Server_with_a_rotated_key_refuses_resumption_and_runs_a_full_handshake()
    {
        var clientTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        byte[] currentKey = s_key;
        var serverOptions = ServerOptions();
        serverOptions.KeyProvider = identity => currentKey.ToArray();
        await using var server = new DtlsPskServerTransport(serverOptions);
        DtlsPskClientOptions options = ClientOptionsFor();
        options.ResumeAfterIdle = TimeSpan.FromMinutes(1);
        await using var client = new DtlsPskClientTransport(options, timeProvider: clientTime);
        await ExchangeAsync(client, server, "first");

        currentKey = Convert.FromHexString("FFEEDDCCBBAA99887766554433221100");
        clientTime.Advance(TimeSpan.FromMinutes(2));

        var failure = await Assert.ThrowsAsync<DtlsHandshakeException>(async () => await client.SendAsync(new byte[4], Loopback(server), Timeout()));
        Assert.Equal(DtlsFailureReason.KeyMismatch, failure.Reason);
        Assert.Equal(0, server.HandshakesResumed);
    }

    [Fact]
    public async Task Client_rehandshakes_after_our_server_restarts_on_the_same_port()
    {
        var options = ServerOptions();
        var first = new DtlsPskServerTransport(options);
        IPEndPoint serverEndPoint = Loopback(first);
        await using var client = new DtlsPskClientTransport(ClientOptionsFor());
        await ExchangeAsync(client, first, "before restart");

        // An orderly stop sends close_notify: the client forgets the session at once ...
        await first.DisposeAsync();
        await WaitUntilAsync(() => !client.IsConnected(serverEndPoint), TimeSpan.FromSeconds(5));

        // ... and the next datagram handshakes with the new server (a crash without close_notify
        // is covered against libcoap, where silence detection kicks in).
        options.LocalEndPoint = serverEndPoint;
        await using var second = new DtlsPskServerTransport(options);
        await ExchangeAsync(client, second, "after restart");

        Assert.Equal(2, client.HandshakesSucceeded);
        Assert.Equal(0, client.HandshakesResumed); // the new server could not know the old session
    }

    [Fact]
    public async Task Silent_peer_after_repeated_sends_triggers_a_rehandshake_on_the_next_send()
    {
        // Our server behind a UDP relay we can cut: the server keeps its session, but nothing comes
        // back to the client, exactly as after a server crash.
        var clientTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = new DtlsPskServerTransport(ServerOptions());
        await using var relay = new UdpRelay(Loopback(server));
        await using var client = new DtlsPskClientTransport(ClientOptionsFor(), timeProvider: clientTime);
        await ExchangeAsync(client, server, "first", relay.EndPoint);

        relay.DropReplies = true;
        await client.SendAsync(new byte[] { 1 }, relay.EndPoint, CancellationToken.None);
        clientTime.Advance(TimeSpan.FromSeconds(3));
        await client.SendAsync(new byte[] { 1 }, relay.EndPoint, CancellationToken.None);
        clientTime.Advance(TimeSpan.FromSeconds(7));
        relay.DropReplies = false;
        byte[] buffer = new byte[16];
        Assert.Equal(1, (await server.ReceiveAsync(buffer, Timeout())).Length);
        Assert.Equal(1, (await server.ReceiveAsync(buffer, Timeout())).Length);

        await ExchangeAsync(client, server, "after silence", relay.EndPoint);

        Assert.Equal(2, client.HandshakesSucceeded);
        Assert.Equal(1, client.HandshakesResumed); // the server still knew the session: abbreviated handshake
    }

    [Fact]
    public async Task An_old_unanswered_record_does_not_make_a_later_burst_look_silent()
    {
        var clientTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = new DtlsPskServerTransport(ServerOptions());
        await using var client = new DtlsPskClientTransport(ClientOptionsFor(), timeProvider: clientTime);
        await ExchangeAsync(client, server, "first");
        byte[] buffer = new byte[16];

        // A response the peer never answers (normal for CoAP), then an hour of quiet ...
        await client.SendAsync(new byte[] { 1 }, Loopback(server), CancellationToken.None);
        clientTime.Advance(TimeSpan.FromHours(1));
        // ... then a request and its retransmissions: only a burst of 9 s without answer counts.
        foreach (int seconds in new[] { 0, 2, 6 })
        {
            clientTime.Advance(TimeSpan.FromSeconds(seconds));
            await client.SendAsync(new byte[] { 2 }, Loopback(server), CancellationToken.None);
        }

        Assert.Equal(1, client.HandshakesSucceeded);
        clientTime.Advance(TimeSpan.FromSeconds(9));
        await client.SendAsync(new byte[] { 3 }, Loopback(server), CancellationToken.None);
        Assert.Equal(2, client.HandshakesSucceeded); // 17 s of silence within one burst: re-handshake
        for (int i = 0; i < 5; i++)
        {
            Assert.True((await server.ReceiveAsync(buffer, Timeout())).Length == 1);
        }
    }

    [Fact]
    public async Task Server_closes_idle_sessions_and_caps_their_number()
    {
        var serverTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = ServerOptions();
        options.MaxSessions = 1;
        options.HandshakeTimeout = TimeSpan.FromSeconds(2);
        options.SessionIdleTimeout = TimeSpan.FromMinutes(5);
        var log = new CapturingLogger();
        await using var server = new DtlsPskServerTransport(options, log, serverTime);
        Assert.Empty(server.DescribeSessions());
        await using var first = new DtlsPskClientTransport(ClientOptionsFor());
        await using var second = new DtlsPskClientTransport(ClientOptionsFor(handshakeTimeout: TimeSpan.FromSeconds(2)));
        await ExchangeAsync(first, server, "one");

        var refused = await Assert.ThrowsAsync<DtlsHandshakeException>(() => second.ConnectAsync(Loopback(server), CancellationToken.None));
        Assert.Equal(DtlsFailureReason.HandshakeTimeout, refused.Reason);

        serverTime.Advance(TimeSpan.FromMinutes(6)); // the sweep timer fires
        // A ClientHello the refused client retransmitted just before giving up may land after the
        // sweep and hold the freed slot until the server's handshake timeout (2 s here) ends it.
        await WaitUntilAsync(() => server.SessionCount == 0, TimeSpan.FromSeconds(10));
        await using var third = new DtlsPskClientTransport(ClientOptionsFor());
        await ExchangeAsync(third, server, "two");

        Assert.Equal(1, server.SessionCount);
        Assert.Contains("idle for 00:05:00; closing it", log.All, StringComparison.Ordinal);
        Assert.Contains("session limit 1 reached", log.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_sends_to_endpoints_without_a_session_are_dropped()
    {
        await using var server = new DtlsPskServerTransport(ServerOptions());
        await server.SendAsync(new byte[] { 1 }, new IPEndPoint(IPAddress.Loopback, 9), CancellationToken.None);
        Assert.Equal(1, server.DatagramsDropped);
    }

    [Fact]
    public async Task Unknown_identity_fails_with_its_own_reason()
    {
        var options = ServerOptions();
        options.KeyProvider = _ => null;
        await using var server = new DtlsPskServerTransport(options);
        await using var client = new DtlsPskClientTransport(ClientOptionsFor());

        var failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.ConnectAsync(Loopback(server), CancellationToken.None));

        Assert.Equal(DtlsFailureReason.UnknownIdentity, failure.Reason);
        Assert.Equal(115, failure.AlertDescription);
    }

    [Fact]
    public async Task Wrong_key_between_our_peers_is_a_key_mismatch_on_both_sides_without_leaking_keys()
    {
        var serverLog = new CapturingLogger();
        var clientLog = new CapturingLogger();
        await using var server = new DtlsPskServerTransport(ServerOptions(), serverLog);
        DtlsPskClientOptions options = ClientOptionsFor();
        byte[] wrongKey = Convert.FromHexString("0102030405060708090A0B0C0D0E0F10");
        options.Credential = new PskCredential("gw-1", wrongKey);
        await using var client = new DtlsPskClientTransport(options, clientLog);

        var failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.ConnectAsync(Loopback(server), CancellationToken.None));

        Assert.Equal(DtlsFailureReason.KeyMismatch, failure.Reason);
        await WaitUntilAsync(() => server.HandshakesFailed == 1, TimeSpan.FromSeconds(10));
        Assert.Contains("KeyMismatch", serverLog.All, StringComparison.Ordinal);
        string everything = serverLog.All + clientLog.All + failure + options.Credential + options;
        Assert.DoesNotContain(Convert.ToHexString(wrongKey), everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(s_key), everything, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Handshake_with_a_silent_peer_honours_cancellation_and_dispose()
    {
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var client = new DtlsPskClientTransport(ClientOptionsFor());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ConnectAsync((IPEndPoint)silent.LocalEndPoint!, cts.Token));
        Assert.Equal(1, client.SessionCount); // the handshake still runs in the background ...

        var disposing = client.DisposeAsync().AsTask();
        Assert.Same(disposing, await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(5)))); // ... and dispose unwinds it
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.SendAsync(new byte[1], (IPEndPoint)silent.LocalEndPoint!, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.ReceiveAsync(new byte[1], CancellationToken.None));
    }

    [Fact]
    public async Task Handshake_timeout_is_reported_as_such()
    {
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = new DtlsPskClientTransport(ClientOptionsFor(handshakeTimeout: TimeSpan.FromSeconds(1)));

        var failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.ConnectAsync((IPEndPoint)silent.LocalEndPoint!, CancellationToken.None));

        Assert.Equal(DtlsFailureReason.HandshakeTimeout, failure.Reason);
        Assert.Equal(0, client.SessionCount);
    }

    [Fact]
    public void Credentials_never_show_their_key()
    {
        var credential = PskCredential.FromHex("device-7", "DEADBEEF00112233");
        Assert.Equal("PSK identity 'device-7', key <redacted, 8 bytes>", credential.ToString());
        Assert.Equal("0x00FF", new PskCredential(new byte[] { 0, 255 }, s_key).DisplayIdentity);
        var error = Assert.Throws<FormatException>(() => PskCredential.FromHex("x", "DEADBEEZ"));
        Assert.DoesNotContain("DEADBEEZ", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PskCredential("x", ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Options_are_validated()
    {
        var options = ClientOptionsFor();
        options.CipherSuites = [];
        Assert.Throws<ArgumentException>(() => new DtlsPskClientTransport(options));
        options = ClientOptionsFor();
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DtlsPskClientTransport(options));
        var serverOptions = ServerOptions();
        serverOptions.MaxSessions = 0;
        Assert.Throws<ArgumentOutOfRangeException>(() => new DtlsPskServerTransport(serverOptions));
    }

    [Theory]
    [InlineData("16FEFD0000000000000000003501", true)] // handshake, DTLS 1.2, epoch 0, ClientHello
    [InlineData("16FEFD0001000000000000003501", false)] // epoch 1
    [InlineData("17FEFD0000000000000000003501", false)] // application data
    [InlineData("16FEFD0000000000000000003502", false)] // ServerHello
    [InlineData("16FEFD000000000000", false)] // truncated
    public void ClientHello_detection(string hex, bool expected) =>
        Assert.Equal(expected, DtlsRecordHeader.IsClientHello(Convert.FromHexString(hex)));

    [Fact]
    public void Encrypted_records_are_counted_across_a_datagram()
    {
        // epoch-0 CCS (1 byte) followed by an epoch-1 Finished (3 bytes), then a truncated header
        byte[] datagram = Convert.FromHexString("14FEFD" + "0000" + "000000000000" + "0001" + "01" + "16FEFD" + "0001" + "000000000000" + "0003" + "AABBCC" + "16FE");
        Assert.Equal(1, DtlsRecordHeader.CountEncryptedRecords(datagram));
    }

    private static async Task ExchangeAsync(DtlsPskClientTransport client, DtlsPskServerTransport server, string text, IPEndPoint? via = null)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(text), via ?? Loopback(server), Timeout());
        byte[] buffer = new byte[256];
        var received = await server.ReceiveAsync(buffer, Timeout());
        Assert.Equal(text, Encoding.ASCII.GetString(buffer, 0, received.Length));
        await server.SendAsync(buffer.AsMemory(0, received.Length), received.Remote, CancellationToken.None);
        var echoed = await client.ReceiveAsync(buffer, Timeout());
        Assert.Equal(text, Encoding.ASCII.GetString(buffer, 0, echoed.Length));
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    private static IPEndPoint Loopback(DtlsPskTransport transport) => new(IPAddress.Loopback, ((IPEndPoint)transport.LocalEndPoint).Port);

    private static DtlsPskServerOptions ServerOptions(DtlsPskCipherSuite? suite = null)
    {
        var options = DtlsPskServerOptions.ForSingleCredential(new PskCredential("gw-1", s_key));
        options.LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        options.HandshakeTimeout = TimeSpan.FromSeconds(10);
        if (suite is { } only)
        {
            options.CipherSuites = [only];
        }

        return options;
    }

    private static DtlsPskClientOptions ClientOptionsFor(DtlsPskCipherSuite? suite = null, TimeSpan? handshakeTimeout = null)
    {
        var options = new DtlsPskClientOptions
        {
            Credential = new PskCredential("gw-1", s_key),
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            HandshakeTimeout = handshakeTimeout ?? TimeSpan.FromSeconds(10),
        };
        if (suite is { } only)
        {
            options.CipherSuites = [only];
        }

        return options;
    }
}
