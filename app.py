"""Starts the web app (`make run`). The UI lives in coach/web/ (one module per tab)."""

from coach.web import main

if __name__ == "__main__":
    main()
