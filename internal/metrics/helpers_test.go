package metrics_test

import (
	"io"

	"github.com/sirupsen/logrus"
)

func discard() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}
