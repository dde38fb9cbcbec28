using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActiveGate.Agent.Diagnostics;

/// <summary>
/// One request the running agent answers on its diagnostics socket. Parts register theirs in DI
/// (<c>services.AddSingleton&lt;IDiagnosticsCommand, RadioDiagnostics&gt;()</c>); the CLI sends
/// <c>{"v":1,"cmd":Name,"args":{…}}</c> and prints the result.
/// </summary>
public interface IDiagnosticsCommand
{
    /// <summary>The <c>cmd</c> value, e.g. <c>status</c> or <c>radio</c>.</summary>
    string Name { get; }

    /// <summary>Answers the request. Throw <see cref="DiagnosticsCommandException"/> for a request the user got wrong.</summary>
    ValueTask<JsonNode?> ExecuteAsync(JsonElement arguments, CancellationToken cancellationToken);
}

/// <summary>A request the command refuses, with a code the CLI maps to its exit status.</summary>
public sealed class DiagnosticsCommandException : Exception
{
    public DiagnosticsCommandException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public DiagnosticsCommandException()
        : this("error", "The request failed.")
    {
    }

    public DiagnosticsCommandException(string message)
        : this("error", message)
    {
    }

    public DiagnosticsCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "error";
    }

    /// <summary>Machine-readable reason, e.g. <c>bad-request</c>, <c>not-found</c>, <c>unavailable</c>.</summary>
    public string Code { get; } = "error";
}
