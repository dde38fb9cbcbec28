using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.Agent.Hosting;
using ActiveGate.Agent.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Diagnostics;

/// <summary>
/// Serves <see cref="IDiagnosticsCommand"/>s on a Unix domain socket (mode 0660, so the service
/// group and root may ask; nobody else). The socket is bound in <see cref="StartAsync"/>, before
/// the host reports READY=1, so "ready" implies "answers <c>activegate status</c>".
/// </summary>
public sealed partial class DiagnosticsServer : BackgroundService
{
    private const int MaxConcurrentClients = 16;

    private readonly Dictionary<string, IDiagnosticsCommand> _commands;
    private readonly ILogger<DiagnosticsServer> _logger;
    private readonly string _socketPath;
    private readonly SemaphoreSlim _clientSlots = new(MaxConcurrentClients);
    private Socket? _listener;
    private bool _stopping;

    public DiagnosticsServer(IEnumerable<IDiagnosticsCommand> commands, IOptions<DiagnosticsOptions> options, AgentPaths paths, ILogger<DiagnosticsServer> logger)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        _commands = new Dictionary<string, IDiagnosticsCommand>(StringComparer.Ordinal);
        foreach (IDiagnosticsCommand command in commands)
        {
            if (!_commands.TryAdd(command.Name, command))
            {
                throw new InvalidOperationException($"Two diagnostics commands are named '{command.Name}'.");
            }
        }

        _logger = logger;
        _socketPath = string.IsNullOrEmpty(options.Value.SocketPath) ? paths.DefaultSocketPath : options.Value.SocketPath;
    }

    public string SocketPath => _socketPath;

    public IReadOnlyCollection<string> CommandNames => _commands.Keys;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_socketPath)!);
        RemoveStaleSocket();
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(_socketPath));
            File.SetUnixFileMode(_socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            listener.Listen(MaxConcurrentClients);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        LogListening(_logger, _socketPath, _commands.Count);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Closing the listener first ends a pending accept with a SocketException (ECANCELED) before the stopping token
        // is cancelled: the flag tells the accept loop that this is the stop, not a failure to log.
        Volatile.Write(ref _stopping, true);
        _listener?.Dispose();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        TryDelete(_socketPath);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        _clientSlots.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Socket listener = _listener ?? throw new InvalidOperationException("The diagnostics socket was not bound.");
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || stoppingToken.IsCancellationRequested || Volatile.Read(ref _stopping))
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_logger, ex);
                continue;
            }

            if (!await _clientSlots.WaitAsync(0, stoppingToken).ConfigureAwait(false))
            {
                client.Dispose();
                continue;
            }

            _ = ServeClientAsync(client, stoppingToken);
        }
    }

    private async Task ServeClientAsync(Socket client, CancellationToken stoppingToken)
    {
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: true);
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { AutoFlush = true, NewLine = "\n" };
            while (!stoppingToken.IsCancellationRequested)
            {
                string? line = await ReadBoundedLineAsync(reader, stoppingToken).ConfigureAwait(false);
                if (line is null)
                {
                    return;
                }

                string response = await HandleAsync(line, stoppingToken).ConfigureAwait(false);
                await writer.WriteLineAsync(response.AsMemory(), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // A client that hangs up early or a shutdown in progress: nothing to report.
        }
        catch (InvalidDataException ex)
        {
            LogBadClient(_logger, ex.Message);
        }
        finally
        {
            _clientSlots.Release();
        }
    }

    private static async Task<string?> ReadBoundedLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new char[1];
        while (true)
        {
            int read = await reader.ReadAsync(one.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return line.Length == 0 ? null : line.ToString();
            }

            if (one[0] == '\n')
            {
                return line.ToString();
            }

            if (line.Length >= DiagnosticsProtocol.MaxRequestBytes)
            {
                throw new InvalidDataException($"diagnostics request longer than {DiagnosticsProtocol.MaxRequestBytes} bytes");
            }

            line.Append(one[0]);
        }
    }

    internal async Task<string> HandleAsync(string line, CancellationToken cancellationToken)
    {
        if (!DiagnosticsProtocol.TryParseRequest(line, out string name, out JsonElement arguments, out string errorCode, out string errorMessage))
        {
            return DiagnosticsProtocol.FormatError(errorCode, errorMessage);
        }

        if (!_commands.TryGetValue(name, out IDiagnosticsCommand? command))
        {
            return DiagnosticsProtocol.FormatError("unknown-command", $"unknown command '{name}'; this agent answers: {string.Join(", ", _commands.Keys.Order(StringComparer.Ordinal))}");
        }

        try
        {
            JsonNode? result = await command.ExecuteAsync(arguments, cancellationToken).ConfigureAwait(false);
            return DiagnosticsProtocol.FormatResult(result);
        }
        catch (DiagnosticsCommandException ex)
        {
            return DiagnosticsProtocol.FormatError(ex.Code, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return DiagnosticsProtocol.FormatError("shutting-down", "the agent is shutting down");
        }
#pragma warning disable CA1031 // A failing part must not take the diagnostics socket down with it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCommandFailed(_logger, ex, name);
            return DiagnosticsProtocol.FormatError("internal", $"{name} failed: {ex.Message}");
        }
    }

    private void RemoveStaleSocket()
    {
        if (!File.Exists(_socketPath))
        {
            return;
        }

        // A live agent still answering would be a second instance: refuse rather than steal its socket.
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(_socketPath));
        }
        catch (SocketException)
        {
            TryDelete(_socketPath);
            return;
        }

        throw new InvalidOperationException($"Another agent is already answering on {_socketPath}.");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Diagnostics listening on {SocketPath} ({CommandCount} commands)")]
    private static partial void LogListening(ILogger logger, string socketPath, int commandCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Diagnostics accept failed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Diagnostics client dropped: {Reason}")]
    private static partial void LogBadClient(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Diagnostics command {Command} failed")]
    private static partial void LogCommandFailed(ILogger logger, Exception exception, string command);
}
