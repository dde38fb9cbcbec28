using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Hosting;

/// <summary>
/// Turns what the configuration binder and the options validators throw into the one line an
/// operator needs: which key, which value, and what is expected.
/// </summary>
public sealed partial class ConfigurationErrors
{
    private readonly Dictionary<Type, string> _sections = [];

    /// <summary>Remembers which configuration section an options type is bound to.</summary>
    public void RegisterSection(Type optionsType, string section) => _sections[optionsType] = section;

    /// <summary>True when <paramref name="exception"/> (or an inner one) is a configuration error; <paramref name="message"/> is then the operator's line.</summary>
    public bool TryDescribe(Exception exception, IConfiguration configuration, out string message)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
            {
                current = aggregate.InnerExceptions[0];
            }

            if (current is OptionsValidationException validation)
            {
                message = DescribeValidation(validation, configuration);
                return true;
            }

            if (current is InvalidOperationException invalid && TryDescribeBinding(invalid, configuration, out message))
            {
                return true;
            }

            if (current is InvalidDataException or FormatException && current.Message.Contains("JSON", StringComparison.OrdinalIgnoreCase))
            {
                message = "configuration file is not valid JSON: " + current.Message;
                return true;
            }
        }

        message = "";
        return false;
    }

    private string DescribeValidation(OptionsValidationException validation, IConfiguration configuration)
    {
        string section = _sections.GetValueOrDefault(validation.OptionsType, validation.OptionsType.Name);
        var lines = new List<string>();
        foreach (string failure in validation.Failures)
        {
            // Generated validators report "<Member>: The field <Type>.<Path> must be …"; the path
            // is the reliable part (nested objects keep their prefix there).
            string memberPath;
            string expected;
            Match field = FieldFailure().Match(failure);
            if (field.Success)
            {
                memberPath = field.Groups["path"].Value;
                string typePrefix = validation.OptionsType.Name + ".";
                memberPath = memberPath.StartsWith(typePrefix, StringComparison.Ordinal) ? memberPath[typePrefix.Length..] : memberPath;
                expected = field.Groups["rest"].Value;
            }
            else
            {
                int colon = failure.IndexOf(':', StringComparison.Ordinal);
                memberPath = colon > 0 ? failure[..colon].Trim() : "";
                expected = colon > 0 ? failure[(colon + 1)..].Trim() : failure;
            }

            string key = string.IsNullOrEmpty(memberPath) ? section : section + ":" + memberPath.Replace('.', ':');
            lines.Add($"{key} = {Quote(configuration[key])}: {expected.TrimEnd('.')}");
        }

        return string.Join("; ", lines);
    }

    private bool TryDescribeBinding(InvalidOperationException exception, IConfiguration configuration, out string message)
    {
        Match conversion = ConversionFailure().Match(exception.Message);
        if (conversion.Success)
        {
            string key = conversion.Groups["key"].Value;
            string typeName = conversion.Groups["type"].Value;
            Type? target = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
            message = $"{key} = {Quote(configuration[key])}: expected {Expectation(target, typeName)}";
            return true;
        }

        Match unknown = UnknownKeys().Match(exception.Message);
        if (unknown.Success)
        {
            Type? optionsType = _sections.Keys.FirstOrDefault(t => t.FullName == unknown.Groups["type"].Value);
            string section = optionsType is null ? unknown.Groups["type"].Value : _sections[optionsType];
            string[] keys = unknown.Groups["keys"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            string known = optionsType is null ? "" : "; known keys: " + string.Join(", ", optionsType.GetProperties().Select(p => p.Name));
            message = $"{string.Join(", ", keys.Select(k => section + ":" + k.Trim('\'')))}: unknown key{known}";
            return true;
        }

        message = "";
        return false;
    }

    private static string Expectation(Type? type, string typeName)
    {
        Type? underlying = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (underlying is { IsEnum: true })
        {
            return "one of " + string.Join(", ", Enum.GetNames(underlying));
        }

        return underlying == typeof(int) || underlying == typeof(long) || underlying == typeof(uint) || underlying == typeof(ushort) || underlying == typeof(byte)
            ? "a whole number"
            : underlying == typeof(bool) ? "true or false"
            : underlying == typeof(double) || underlying == typeof(float) || underlying == typeof(decimal) ? "a number"
            : underlying == typeof(TimeSpan) ? "a duration like 00:00:30"
            : "a value of type " + typeName;
    }

    private static string Quote(string? value) => value is null ? "(not set)" : "'" + value + "'";

    [GeneratedRegex(@"The field (?<path>[\w.]+) (?<rest>.+)$", RegexOptions.Singleline)]
    private static partial Regex FieldFailure();

    [GeneratedRegex(@"at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConversionFailure();

    [GeneratedRegex(@"not found on the instance of (?<type>[\w.+]+): (?<keys>.+)$", RegexOptions.Singleline)]
    private static partial Regex UnknownKeys();
}
