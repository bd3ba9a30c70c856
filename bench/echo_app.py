"""The baseline: a bare Flask app that parses a JSON body and echoes it, served like the real one."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/echo")
def echo():
    return jsonify(request.get_json()), 201


@app.get("/echo")
def echo_get():
    return jsonify({"ok": True})
