using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActiveGate.Agent.Diagnostics;

/// <summary>The CLI side of the diagnostics socket.</summary>
public static class DiagnosticsClient
{
    /// <summary>
    /// Sends one request and returns the <c>result</c> element.
    /// Throws <see cref="AgentNotRunningException"/> when nothing answers on <paramref name="socketPath"/>,
    /// <see cref="DiagnosticsCommandException"/> when the agent refused the request.
    /// </summary>
    public static async Task<JsonElement> RequestAsync(string socketPath, string command, JsonObject? arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeoutSource.Token).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused)
        {
            throw new AgentNotRunningException(socketPath, ex);
        }
        catch (SocketException ex) when (!File.Exists(socketPath))
        {
            throw new AgentNotRunningException(socketPath, ex);
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        byte[] request = Encoding.UTF8.GetBytes(DiagnosticsProtocol.FormatRequest(command, arguments) + "\n");
        try
        {
            await stream.WriteAsync(request, timeoutSource.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true);
            string? line = await reader.ReadLineAsync(timeoutSource.Token).ConfigureAwait(false)
                ?? throw new IOException("the agent closed the diagnostics connection without answering");
            using JsonDocument response = JsonDocument.Parse(line);
            JsonElement root = response.RootElement;
            if (root.TryGetProperty("ok", out JsonElement ok) && ok.ValueKind == JsonValueKind.True)
            {
                return root.TryGetProperty("result", out JsonElement result) ? result.Clone() : default;
            }

            JsonElement error = root.GetProperty("error");
            throw new DiagnosticsCommandException(error.GetProperty("code").GetString() ?? "error", error.GetProperty("message").GetString() ?? "request failed");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the agent did not answer '{command}' within {timeout.TotalSeconds:0.#} s");
        }
    }
}

/// <summary>No agent answers on the diagnostics socket.</summary>
public sealed class AgentNotRunningException : Exception
{
    public AgentNotRunningException(string socketPath, Exception innerException)
        : base($"the ActiveGate agent is not running (nothing answers on {socketPath})", innerException)
    {
        SocketPath = socketPath;
    }

    public AgentNotRunningException()
        : this("", new IOException())
    {
    }

    public AgentNotRunningException(string message)
        : base(message)
    {
        SocketPath = "";
    }

    public AgentNotRunningException(string message, Exception innerException, string socketPath)
        : base(message, innerException)
    {
        SocketPath = socketPath;
    }

    public string SocketPath { get; } = "";
}
