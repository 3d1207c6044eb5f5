using System.Net.Sockets;
using Azure;

namespace CarbonFunctions.Local.Cli;

/// <summary>Turns whatever a command threw into one line a person or a script can act on, and its exit code.</summary>
public static class CliErrors
{
    public static (string Message, int ExitCode) Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var ex = exception is AggregateException { InnerException: { } inner } ? inner : exception;
        return ex switch
        {
            RequestFailedException { Status: 0 } or HttpRequestException or SocketException =>
                ($"cannot reach storage ({ex.Message}); is Azurite running? Start one with 'carbonctl local run --start-azurite', or pass --connection / set {CliSettings.ConnectionVariable}.", Output.Failure),
            RequestFailedException failed => ($"storage refused the request ({failed.Status} {failed.ErrorCode}): {FirstLine(failed.Message)}", Output.Failure),

            // Azure SDKs throw these for a malformed connection string; settings validation for bad options.
            FormatException or ArgumentException => ($"invalid input: {FirstLine(ex.Message)}", Output.InvalidInput),
            InvalidOperationException when ex.Message.StartsWith("invalid configuration", StringComparison.Ordinal) => (ex.Message, Output.InvalidInput),
            OperationCanceledException => ("cancelled", Output.Failure),
            _ => ($"{FirstLine(ex.Message)} ({ex.GetType().Name})", Output.Failure),
        };
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
