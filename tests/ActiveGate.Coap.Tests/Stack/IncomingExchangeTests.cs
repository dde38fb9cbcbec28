using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Transport.InMemory;

namespace ActiveGate.Coap.Tests.Stack;

/// <summary>The answer-once rules of <see cref="CoapIncomingExchange"/>: piggybacked, accepted then separate, never twice.</summary>
public sealed class IncomingExchangeTests : IAsyncLifetime
{
    private readonly InMemoryNetwork _network = new();
    private readonly ScriptedHandler _handler = new();
    private CoapEndpoint _endpoint = null!;
    private RawPeer _peer = null!;

    public Task InitializeAsync()
    {
        _endpoint = new CoapEndpoint(_network.CreateTransport()) { RequestHandler = _handler };
        _endpoint.Start();
        _peer = new RawPeer(_network.CreateTransport());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        await _endpoint.DisposeAsync();
    }

    [Fact]
    public async Task Second_response_is_refused_and_the_first_is_piggybacked()
    {
        _handler.Script = async exchange =>
        {
            await exchange.RespondAsync(new CoapMessage { Code = CoapCode.Content });
            Assert.True(exchange.HasResponded);
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await exchange.RespondAsync(new CoapMessage { Code = CoapCode.Content }));
        };

        await _peer.SendAsync(Request(CoapMessageType.Confirmable, 1), _endpoint.LocalEndPoint);
        CoapMessage reply = await _peer.ReceiveAsync();

        Assert.Equal((CoapMessageType.Acknowledgement, CoapCode.Content, (ushort)1), (reply.Type, reply.Code, reply.MessageId));
        await _handler.Done.Task;
        Assert.True(_peer.IsIdle);
    }

    [Fact]
    public async Task Accepted_CON_gets_one_empty_ACK_then_a_separate_CON_response()
    {
        _handler.Script = async exchange =>
        {
            exchange.Accept();
            exchange.Accept();
            await exchange.RespondAsync(new CoapMessage { Code = CoapCode.Content });
        };

        await _peer.SendAsync(Request(CoapMessageType.Confirmable, 2), _endpoint.LocalEndPoint);
        CoapMessage ack = await _peer.ReceiveAsync();
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.Equal((CoapMessageType.Acknowledgement, CoapCode.Empty, (ushort)2), (ack.Type, ack.Code, ack.MessageId));
        Assert.Equal((CoapMessageType.Confirmable, CoapCode.Content), (response.Type, response.Code));
        Assert.Equal(CoapToken.FromBytes([7]), response.Token);
        await _handler.Done.Task;
    }

    [Fact]
    public async Task Accept_of_a_NON_request_sends_nothing_and_the_response_is_NON()
    {
        _handler.Script = async exchange =>
        {
            exchange.Accept();
            await exchange.RespondAsync(new CoapMessage { Code = CoapCode.Content });
        };

        await _peer.SendAsync(Request(CoapMessageType.NonConfirmable, 3), _endpoint.LocalEndPoint);
        CoapMessage response = await _peer.ReceiveAsync();

        Assert.Equal((CoapMessageType.NonConfirmable, CoapCode.Content), (response.Type, response.Code));
        await _handler.Done.Task;
        Assert.True(_peer.IsIdle);
    }

    private static CoapMessage Request(CoapMessageType type, ushort mid) =>
        new() { Type = type, Code = CoapCode.Get, MessageId = mid, Token = CoapToken.FromBytes([7]) };

    private sealed class ScriptedHandler : ICoapRequestHandler
    {
        public Func<CoapIncomingExchange, Task> Script { get; set; } = _ => Task.CompletedTask;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask HandleRequestAsync(CoapIncomingExchange exchange, CancellationToken cancellationToken)
        {
            try
            {
                await Script(exchange);
                Done.TrySetResult();
            }
            catch (Exception ex)
            {
                Done.TrySetException(ex);
            }
        }
    }
}
