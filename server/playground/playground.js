// Parley's GraphiQL setup. Queries and mutations go over HTTP with the
// headers pane as request headers; subscriptions go over a graphql-ws
// (graphql-transport-ws) socket whose connection_init payload is the same
// headers, so one {"Authorization": "Bearer …"} serves both.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  var endpoint = new URL(root.dataset.endpoint, location.href);
  var wsURL = new URL(endpoint.href);
  wsURL.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  // No subscriptionUrl: GraphiQL's own WebSocket client keeps retrying a
  // socket the server closed for a bad token (4403), for half a minute.
  var httpFetcher = GraphiQL.createFetcher({ url: endpoint.href });

  // The default headers hold a "<token from login>" placeholder; sending it
  // would earn "token is not valid" instead of "this needs a token".
  function realHeaders(headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (k) {
      var v = headers[k];
      if (!(typeof v === 'string' && /<[^>]*>/.test(v))) out[k] = v;
    });
    return out;
  }

  function isSubscription(params, opts) {
    if (!opts || !opts.documentAST) return false;
    var op = GraphiQL.GraphQL.getOperationAST(opts.documentAST, params.operationName || undefined);
    return !!op && op.operation === 'subscription';
  }

  // One lazy client per distinct headers: a new token gets a new socket, and
  // an idle client holds none.
  var ws = { key: null, client: null };
  function wsClient(headers) {
    var params = {};
    Object.keys(headers).forEach(function (k) {
      // The server reads "authorization" or "Authorization" from the payload.
      params[k.toLowerCase() === 'authorization' ? 'authorization' : k] = headers[k];
    });
    var key = JSON.stringify(params);
    if (ws.key !== key) {
      ws = {
        key: key,
        client: graphqlWs.createClient({
          url: wsURL.href,
          connectionParams: params,
          // Retry a dropped connection, but not a refused token.
          shouldRetry: function (e) { return !(e && e.code === 4403); },
        }),
      };
    }
    return ws.client;
  }

  // A CloseEvent would print as {}; GraphiQL prints an array of errors as
  // {"errors": [...]}, like a GraphQL response.
  function socketError(e) {
    if (e && typeof e.code === 'number' && 'reason' in e) {
      var why = e.code === 4403
        ? 'the token was refused; log in again and update the Authorization header'
        : (e.reason || 'connection lost');
      return [{ message: 'WebSocket closed (' + e.code + '): ' + why }];
    }
    return e;
  }

  function subscribe(params, headers) {
    return {
      subscribe: function (sink) {
        var dispose = wsClient(headers).subscribe(params, {
          next: function (v) { sink.next(v); },
          error: function (e) { sink.error(socketError(e)); },
          complete: function () { sink.complete(); },
        });
        return { unsubscribe: dispose };
      },
    };
  }

  function fetcher(params, opts) {
    var headers = realHeaders(opts && opts.headers);
    if (isSubscription(params, opts)) return subscribe(params, headers);
    return httpFetcher(params, Object.assign({}, opts, { headers: headers }));
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: root.dataset.defaultQuery || undefined,
      defaultHeaders: root.dataset.defaultHeaders || undefined,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // Keeps the token across reloads, in this origin's localStorage.
      shouldPersistHeaders: true,
      storage: GraphiQL.createLocalStorage({ namespace: 'parley-playground' }),
      inputValueDeprecation: true,
    })
  );
})();
